/** The Examples block every command's --help ends with (a test checks each command has one). */
export function examplesText(lines: readonly string[], note?: string): string {
  return `${note ? `\n${note}\n` : ''}\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
