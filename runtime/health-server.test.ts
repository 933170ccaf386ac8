import { afterEach, describe, expect, test } from '@jest/globals';
import { HealthServer } from './health-server.js';
import { controllerMetrics } from './metrics.js';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('health server', () => {
  test('/readyz fails while any check fails and says which; /healthz stays up', async () => {
    server = new HealthServer();
    let synced = false;
    server.addReadyCheck('informers', () => synced || 'services not synced');
    const port = await server.listen(0, '127.0.0.1');
    const notReady = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.text()).toContain('[-]informers failed: services not synced');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    synced = true;
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain('[+]informers ok');
  });

  test('/metrics serves the controller-runtime metric names', async () => {
    server = new HealthServer();
    controllerMetrics.reconciles.inc({ controller: 'health-test', result: 'success' });
    const port = await server.listen(0, '127.0.0.1');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toContain('controller_runtime_reconcile_total{controller="health-test",result="success"} 1');
    expect(text).toContain('# TYPE workqueue_depth gauge');
  });
});
