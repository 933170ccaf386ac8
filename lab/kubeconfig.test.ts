import { describe, expect, test } from '@jest/globals';
import { KubeConfig } from '@kubernetes/client-node';
import { kubeconfigYaml } from './kubeconfig.js';

describe('lab kubeconfigs', () => {
  const entry = (name: string, port: number) => ({ name, server: `https://127.0.0.1:${port}`, caPem: `CA ${name}`, certPem: `CERT ${name}`, keyPem: `KEY ${name}` });

  test('one context per cluster with embedded credentials, loadable by client-node', () => {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml([entry('hub', 1), entry('member-1', 2)], 'hub'));
    expect(kc.getContexts().map((c) => c.name)).toEqual(['hub', 'member-1']);
    expect(kc.getCurrentContext()).toBe('hub');
    kc.setCurrentContext('member-1');
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:2');
    expect(Buffer.from(kc.getCurrentUser()?.certData ?? '', 'base64').toString()).toBe('CERT member-1');
  });

  test('the current context must exist', () => {
    expect(() => kubeconfigYaml([entry('hub', 1)], 'member-9')).toThrow(/member-9/);
  });
});

describe('token kubeconfigs', () => {
  test('a service-account token user, as pods of fleetlb run with', () => {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml([{ name: 'member-1', server: 'https://192.0.2.241:6443', caPem: 'CA', token: 'abc.def' }], 'member-1'));
    expect(kc.getCurrentUser()?.token).toBe('abc.def');
    expect(kc.getCurrentUser()?.certData).toBeUndefined();
  });
});
