import { describe, expect, it } from '@jest/globals';
import type { InternalServiceExportSpec, ServicePort } from '../api/networking.js';
import { exportOrder, resolveImport, type ExportView } from './service-import.js';

function exp(cluster: string, since: string | undefined, ports: ServicePort[], extra: Partial<InternalServiceExportSpec> = {}): ExportView {
  return {
    cluster,
    spec: {
      ports,
      serviceReference: { clusterId: cluster, kind: 'Service', namespace: 'kuard-demo', name: 'kuard', namespacedName: 'kuard-demo/kuard', ...(since ? { exportedSince: since } : {}) },
      type: 'ClusterIP',
      ...extra,
    },
  };
}

const http: ServicePort = { name: 'http', protocol: 'TCP', port: 8080, targetPort: 8080 };
const T1 = '2026-01-01T00:00:01Z';
const T2 = '2026-01-01T00:00:02Z';
const T3 = '2026-01-01T00:00:03Z';

describe('resolveImport', () => {
  it('imports nothing without exports', () => {
    expect(resolveImport([])).toEqual({ exports: [] });
  });

  it('aggregates agreeing exports: type, ports and every cluster, none conflicted', () => {
    const v = resolveImport([exp('member-2', T2, [http]), exp('member-1', T1, [http])]);
    expect(v.status).toEqual({ type: 'ClusterSetIP', sessionAffinity: 'None', ports: [http], clusters: [{ cluster: 'member-1' }, { cluster: 'member-2' }] });
    expect(v.exports.map((e) => [e.cluster, e.included, e.conflict.status, e.conflict.reason])).toEqual([
      ['member-1', true, 'False', 'NoConflictFound'],
      ['member-2', true, 'False', 'NoConflictFound'],
    ]);
  });

  it('merges ports as a set: distinct ports from different clusters are all imported', () => {
    const metrics: ServicePort = { name: 'metrics', protocol: 'TCP', port: 9090 };
    const dns: ServicePort = { name: 'dns', protocol: 'UDP', port: 53 };
    const v = resolveImport([exp('a', T1, [http]), exp('b', T2, [http, metrics]), exp('c', T3, [dns])]);
    expect(v.status?.ports).toEqual([dns, http, metrics]);
    expect(v.exports.every((e) => e.included && e.conflict.status === 'False')).toBe(true);
  });

  it('port order does not matter, and a missing protocol means TCP', () => {
    const a: ServicePort = { name: 'a', port: 1 };
    const b: ServicePort = { name: 'b', protocol: 'TCP', port: 2 };
    const v = resolveImport([exp('x', T1, [a, b]), exp('y', T2, [b, { ...a, protocol: 'TCP' }])]);
    expect(v.exports.map((e) => e.conflict.status)).toEqual(['False', 'False']);
    expect(v.status?.ports).toEqual([{ name: 'a', protocol: 'TCP', port: 1 }, b]);
  });

  it('the oldest export wins a port conflict; the message names the field and the winning cluster', () => {
    const v = resolveImport([exp('member-2', T1, [{ ...http, port: 9090 }]), exp('member-1', T2, [http])]);
    expect(v.status?.ports).toEqual([{ ...http, port: 9090 }]);
    expect(v.status?.clusters).toEqual([{ cluster: 'member-2' }]);
    const loser = v.exports.find((e) => e.cluster === 'member-1');
    expect(loser?.included).toBe(false);
    expect(loser?.conflict.status).toBe('True');
    expect(loser?.conflict.reason).toBe('PortConflict');
    expect(loser?.conflict.message).toContain('port "http" is TCP/8080 here but TCP/9090 in cluster "member-2"');
    expect(loser?.conflict.message).toContain('from cluster "member-2"');
    expect(v.exports.find((e) => e.cluster === 'member-2')?.conflict.status).toBe('False');
  });

  it('a protocol+port under another name conflicts', () => {
    const v = resolveImport([exp('a', T1, [http]), exp('b', T2, [{ ...http, name: 'web' }])]);
    expect(v.exports[1]?.conflict.reason).toBe('PortConflict');
    expect(v.exports[1]?.conflict.message).toContain('port TCP/8080 is named "web" here but "http" in cluster "a"');
  });

  it('same name with another appProtocol conflicts', () => {
    const v = resolveImport([exp('a', T1, [{ ...http, appProtocol: 'http' }]), exp('b', T2, [{ ...http, appProtocol: 'h2c' }])]);
    expect(v.exports[1]?.conflict.reason).toBe('PortConflict');
    expect(v.exports[1]?.conflict.message).toContain('appProtocol');
  });

  it('ties on exportedSince are broken by cluster name, whatever the input order', () => {
    const one = resolveImport([exp('b', T1, [{ ...http, port: 1 }]), exp('a', T1, [http])]);
    const two = resolveImport([exp('a', T1, [http]), exp('b', T1, [{ ...http, port: 1 }])]);
    expect(one).toEqual(two);
    expect(one.status?.clusters).toEqual([{ cluster: 'a' }]);
  });

  it('an export without exportedSince counts as the newest', () => {
    expect(exportOrder(exp('a', undefined, []), exp('z', T3, []))).toBe(1);
    const v = resolveImport([exp('a', undefined, [http]), exp('z', T3, [{ ...http, port: 1 }])]);
    expect(v.status?.clusters).toEqual([{ cluster: 'z' }]);
  });

  it('headless vs ClusterSetIP: the oldest decides the type and the other is left out', () => {
    const v = resolveImport([exp('member-1', T2, [http]), exp('member-2', T1, [http], { headless: true })]);
    expect(v.status?.type).toBe('Headless');
    expect(v.status?.clusters).toEqual([{ cluster: 'member-2' }]);
    const loser = v.exports.find((e) => e.cluster === 'member-1');
    expect(loser?.conflict.reason).toBe('TypeConflict');
    expect(loser?.conflict.message).toContain('type is ClusterSetIP here but Headless');
    expect(loser?.conflict.message).toContain('"member-2"');
  });

  it('type and port conflicts together are both named', () => {
    const v = resolveImport([exp('a', T1, [http]), exp('b', T2, [{ ...http, port: 1 }], { headless: true })]);
    expect(v.exports[1]?.conflict.reason).toBe('TypeConflict,PortConflict');
  });

  it('session affinity: the oldest decides, the disagreeing export is flagged but still served', () => {
    const v = resolveImport([
      exp('a', T1, [http], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }),
      exp('b', T2, [http]),
      exp('c', T3, [http], { sessionAffinity: 'ClientIP' }),
    ]);
    expect(v.status?.sessionAffinity).toBe('ClientIP');
    expect(v.status?.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 60 } });
    expect(v.status?.clusters?.map((c) => c.cluster)).toEqual(['a', 'b', 'c']);
    expect(v.exports.map((e) => e.conflict.reason)).toEqual(['NoConflictFound', 'SessionAffinityConflict', 'SessionAffinityConfigConflict']);
    expect(v.exports[1]?.conflict.message).toContain('still served');
  });

  it('IP families that differ raise IPFamilyConflict; unset families agree with anything', () => {
    const v = resolveImport([exp('a', T1, [http], { ipFamilies: ['IPv4'] }), exp('b', T2, [http], { ipFamilies: ['IPv6'] }), exp('c', T3, [http])]);
    expect(v.exports.map((e) => e.conflict.reason)).toEqual(['NoConflictFound', 'IPFamilyConflict', 'NoConflictFound']);
    expect(v.status?.clusters).toHaveLength(3);
  });

  it('a later export is judged against the merged set, not only the oldest', () => {
    const metrics: ServicePort = { name: 'metrics', protocol: 'TCP', port: 9090 };
    const v = resolveImport([exp('a', T1, [http]), exp('b', T2, [metrics]), exp('c', T3, [{ ...metrics, port: 9091 }])]);
    expect(v.exports[2]?.conflict.message).toContain('in cluster "b"');
    expect(v.exports[2]?.conflict.message).toContain('from cluster "a"');
    expect(v.status?.ports).toEqual([http, metrics]);
  });

  it('a conflicted export contributes none of its ports', () => {
    const extra: ServicePort = { name: 'extra', protocol: 'TCP', port: 7000 };
    const v = resolveImport([exp('a', T1, [http]), exp('b', T2, [{ ...http, port: 1 }, extra])]);
    expect(v.status?.ports).toEqual([http]);
  });

  it('when the winner goes, the next oldest takes over and the conflict clears', () => {
    const exports = [exp('a', T1, [http]), exp('b', T2, [{ ...http, port: 1 }])];
    expect(resolveImport(exports).exports[1]?.conflict.status).toBe('True');
    const after = resolveImport(exports.slice(1));
    expect(after.exports[0]?.conflict.status).toBe('False');
    expect(after.status?.ports).toEqual([{ ...http, port: 1 }]);
  });
});
