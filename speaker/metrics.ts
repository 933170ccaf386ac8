import { Counter, Gauge } from 'prom-client';
import { registry } from '../runtime/metrics.js';

/** The speaker's metrics, with MetalLB's names and labels, so existing dashboards keep working. */
export const speakerMetrics = {
  announced: new Gauge({
    name: 'metallb_speaker_announced',
    help: 'Services being announced from this node. This is desired state, it does not guarantee that the routing protocols have converged.',
    labelNames: ['service', 'protocol', 'node', 'ip'] as const,
    registers: [registry],
  }),
  layer2Requests: new Counter({
    name: 'metallb_layer2_requests_received',
    help: 'Number of layer2 requests received for owned IPs',
    labelNames: ['ip'] as const,
    registers: [registry],
  }),
  layer2Responses: new Counter({
    name: 'metallb_layer2_responses_sent',
    help: 'Number of layer2 responses sent for owned IPs',
    labelNames: ['ip'] as const,
    registers: [registry],
  }),
  layer2Gratuitous: new Counter({
    name: 'metallb_layer2_gratuitous_sent',
    help: 'Number of gratuitous layer2 packets sent for owned IPs as a result of failovers',
    labelNames: ['ip'] as const,
    registers: [registry],
  }),
};
