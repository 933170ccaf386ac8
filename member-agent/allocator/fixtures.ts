import type { IPAddressPool, IPAddressPoolSpec } from '../../api/metallb.js';
import { poolConfig, type PoolConfig } from './pool.js';
import { serviceView, type ServiceObject, type ServiceView, type ViewOptions } from './service.js';

/** Builders of pools and Services for the allocator's unit tests, property tests and benchmark. */

export interface ServiceSpecInput {
  namespace?: string;
  uid?: string;
  created?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  type?: string;
  loadBalancerClass?: string;
  loadBalancerIP?: string;
  families?: readonly ('IPv4' | 'IPv6')[];
  policy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  ports?: (number | string)[];
  local?: boolean;
  selector?: Record<string, string>;
  status?: string[];
}

export function serviceObject(name: string, s: ServiceSpecInput = {}): ServiceObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: s.namespace ?? 'default',
      uid: s.uid ?? `uid-${s.namespace ?? 'default'}-${name}`,
      creationTimestamp: s.created ?? '2026-01-01T00:00:00Z',
      ...(s.labels ? { labels: s.labels } : {}),
      ...(s.annotations ? { annotations: s.annotations } : {}),
    },
    spec: {
      type: s.type ?? 'LoadBalancer',
      ...(s.loadBalancerClass ? { loadBalancerClass: s.loadBalancerClass } : {}),
      ...(s.loadBalancerIP ? { loadBalancerIP: s.loadBalancerIP } : {}),
      ipFamilies: [...(s.families ?? ['IPv4'])],
      ipFamilyPolicy: s.policy ?? 'SingleStack',
      ports: (s.ports ?? [80]).map((p) => (typeof p === 'number' ? { protocol: 'TCP', port: p } : { protocol: p.split('/')[0] as string, port: Number(p.split('/')[1]) })),
      externalTrafficPolicy: s.local ? 'Local' : 'Cluster',
      selector: s.selector ?? { app: name },
    },
    ...(s.status ? { status: { loadBalancer: { ingress: s.status.map((ip) => ({ ip })) } } } : {}),
  };
}

export function svc(name: string, s: ServiceSpecInput = {}, opts: ViewOptions = {}): ServiceView {
  return serviceView(serviceObject(name, s), opts);
}

export function poolObject(name: string, addresses: string[], spec: Partial<IPAddressPoolSpec> = {}, created = '2026-01-01T00:00:00Z'): IPAddressPool {
  return { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name, namespace: 'fleetlb-system', creationTimestamp: created, generation: 1 }, spec: { addresses, ...spec } };
}

export function pool(name: string, addresses: string[], spec: Partial<IPAddressPoolSpec> = {}, created?: string): PoolConfig {
  return poolConfig(poolObject(name, addresses, spec, created));
}
