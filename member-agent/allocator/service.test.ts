import { describe, expect, test } from '@jest/globals';
import { Annotations, DeprecatedMetalLBAnnotations } from '../../api/labels.js';
import { AllocationReasons } from './errors.js';
import { serviceObject, svc } from './fixtures.js';
import { formatIP } from '../../runtime/ip.js';
import { requestFingerprint, serviceView, wantedFamilies, type Request } from './service.js';

const ipsOf = (r: Request) => (r.kind === 'ips' ? r.ips.map(formatIP) : r);

describe('reading a Service', () => {
  test('type LoadBalancer without a class is ours by default; a class makes it someone else\'s', () => {
    expect(svc('a').managed).toBe(true);
    expect(svc('a', { type: 'ClusterIP' }).managed).toBe(false);
    expect(svc('a', { loadBalancerClass: 'example.com/lb' }).managed).toBe(false);
    expect(svc('a', { loadBalancerClass: 'example.com/lb' }, { loadBalancerClass: 'example.com/lb' }).managed).toBe(true);
    expect(svc('a', {}, { loadBalancerClass: 'example.com/lb' }).managed).toBe(false);
  });

  test('families, policy, ports, backends', () => {
    const v = svc('a', { families: ['IPv6', 'IPv4'], policy: 'PreferDualStack', ports: [80, 'UDP/53'], local: true, selector: { b: '2', a: '1' } });
    expect(v).toMatchObject({ families: ['IPv6', 'IPv4'], policy: 'PreferDualStack', ports: ['TCP/80', 'UDP/53'], backendKey: 'a=1,b=2' });
    expect(wantedFamilies(v)).toEqual(['IPv6', 'IPv4']);
    expect(wantedFamilies(svc('b', { families: ['IPv6', 'IPv4'] }))).toEqual(['IPv6']);
    expect(svc('c').backendKey).toBe('');
    const bare = serviceView({ metadata: { name: 'x', namespace: 'y' }, spec: { type: 'LoadBalancer' } });
    expect(bare).toMatchObject({ key: 'y/x', families: ['IPv4'], policy: 'SingleStack', ports: [], statusIPs: [] });
  });

  test('the request: a pool, addresses, or neither', () => {
    expect(svc('a').request).toEqual({ kind: 'auto' });
    expect(svc('a', { annotations: { [Annotations.addressPool]: 'gold' } }).request).toEqual({ kind: 'pool', pool: 'gold' });
    expect(ipsOf(svc('a', { annotations: { [Annotations.loadBalancerIPs]: '198.51.100.7' } }).request)).toEqual(['198.51.100.7']);
    expect(ipsOf(svc('a', { loadBalancerIP: '198.51.100.8' }).request)).toEqual(['198.51.100.8']);
    const dual = svc('a', { families: ['IPv6', 'IPv4'], policy: 'RequireDualStack', annotations: { [Annotations.loadBalancerIPs]: '198.51.100.7, 2001:DB8::7' } });
    expect(ipsOf(dual.request)).toEqual(['2001:db8::7', '198.51.100.7']);
    expect(wantedFamilies(dual)).toEqual(['IPv6', 'IPv4']);
    const both = svc('a', { annotations: { [Annotations.loadBalancerIPs]: '198.51.100.7', [Annotations.addressPool]: 'gold' } });
    expect(both.request).toMatchObject({ kind: 'ips', pool: 'gold' });
  });

  test.each([
    [{ [Annotations.loadBalancerIPs]: 'nope' }, undefined, {}, AllocationReasons.InvalidAnnotation, '"nope" is not an IP address'],
    [{ [Annotations.loadBalancerIPs]: ' , ' }, undefined, {}, AllocationReasons.InvalidAnnotation, 'is empty'],
    [{ [Annotations.loadBalancerIPs]: '198.51.100.1,198.51.100.2' }, undefined, { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' }, AllocationReasons.InvalidAnnotation, 'two IPv4 addresses'],
    [{ [Annotations.loadBalancerIPs]: '198.51.100.1' }, '198.51.100.1', {}, AllocationReasons.InvalidAnnotation, 'both set'],
    [{ [Annotations.loadBalancerIPs]: '2001:db8::1' }, undefined, {}, AllocationReasons.IPFamilyMismatch, "ipFamilies are [IPv4]"],
    // A SingleStack Service has its first family only, whatever ipFamilies lists.
    [{ [Annotations.loadBalancerIPs]: '198.51.100.1,2001:db8::1' }, undefined, { families: ['IPv4', 'IPv6'] }, AllocationReasons.IPFamilyMismatch, 'ipFamilies are [IPv4]'],
    [{ [Annotations.loadBalancerIPs]: '198.51.100.1' }, undefined, { families: ['IPv4', 'IPv6'], policy: 'RequireDualStack' }, AllocationReasons.IPFamilyMismatch, 'RequireDualStack'],
  ] as const)('%j (spec.loadBalancerIP %s, %j) is refused as %s', (annotations, loadBalancerIP, extra, reason, words) => {
    const v = svc('a', { annotations, ...(loadBalancerIP ? { loadBalancerIP } : {}), ...extra });
    expect(v.request.kind).toBe('invalid');
    if (v.request.kind === 'invalid') {
      expect(v.request.reason).toBe(reason);
      expect(v.request.message).toContain(words);
    }
  });

  test('the metallb.universe.tf names still work, and are reported as deprecated', () => {
    const v = svc('a', {
      annotations: { [DeprecatedMetalLBAnnotations.addressPool]: 'old', [DeprecatedMetalLBAnnotations.allowSharedIP]: 'k', [DeprecatedMetalLBAnnotations.ipAllocatedFromPool]: 'old' },
    });
    expect(v.request).toEqual({ kind: 'pool', pool: 'old' });
    expect(v.sharingKey).toBe('k');
    expect(v.allocatedFrom).toBe('old');
    expect([...v.deprecated].sort()).toEqual([DeprecatedMetalLBAnnotations.addressPool, DeprecatedMetalLBAnnotations.allowSharedIP].sort());
    // The current name wins when both are set.
    expect(svc('b', { annotations: { [Annotations.addressPool]: 'new', [DeprecatedMetalLBAnnotations.addressPool]: 'old' } }).request).toEqual({ kind: 'pool', pool: 'new' });
  });

  test('status addresses and the pool annotation are read for the reload', () => {
    const v = serviceView({ ...serviceObject('a', { status: ['198.51.100.4'] }), metadata: { name: 'a', namespace: 'n', annotations: { [Annotations.ipAllocatedFromPool]: 'p' } } });
    expect(v.statusIPs).toEqual(['198.51.100.4']);
    expect(v.allocatedFrom).toBe('p');
  });

  test('the fingerprint changes exactly when the request does', () => {
    const a = svc('a', { annotations: { [Annotations.loadBalancerIPs]: '198.51.100.7' } });
    expect(requestFingerprint(a)).toBe(requestFingerprint(svc('a', { annotations: { [Annotations.loadBalancerIPs]: ' 198.51.100.7' }, labels: { x: 'y' } })));
    expect(requestFingerprint(a)).not.toBe(requestFingerprint(svc('a', { annotations: { [Annotations.loadBalancerIPs]: '198.51.100.8' } })));
    expect(requestFingerprint(svc('a'))).not.toBe(requestFingerprint(svc('a', { annotations: { [Annotations.addressPool]: 'p' } })));
  });
});
