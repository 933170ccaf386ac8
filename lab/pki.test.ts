import { describe, expect, test } from '@jest/globals';
import { leafExtensions, subject, subjectAltName } from './pki.js';

describe('certificate requests', () => {
  test('subjects escape the characters openssl treats specially', () => {
    expect(subject('admin', 'system:masters')).toBe('/O=system:masters/CN=admin');
    expect(subject('a/b+c')).toBe('/CN=a\\/b\\+c');
  });

  test('server certificates carry their names and addresses', () => {
    expect(subjectAltName({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] })).toBe('DNS:localhost,IP:127.0.0.1,IP:::1');
    const ext = leafExtensions({ name: 'apiserver', commonName: 'kube-apiserver', usage: 'server', dnsNames: ['kubernetes'] });
    expect(ext).toContain('extendedKeyUsage=serverAuth\n');
    expect(ext).toContain('CA:FALSE');
    expect(ext).toContain('subjectAltName=DNS:kubernetes');
  });

  test('client certificates have no names and only client usage', () => {
    const ext = leafExtensions({ name: 'admin', commonName: 'admin', usage: 'client' });
    expect(ext).toContain('extendedKeyUsage=clientAuth\n');
    expect(ext).not.toContain('subjectAltName');
  });
});
