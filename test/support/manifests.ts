/** Manifests tests apply, as YAML text (what users feed kubectl). */

export function deployment(o: { namespace: string; name: string; image: string; replicas: number; port: number }): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${o.name}, namespace: ${o.namespace}}
spec:
  replicas: ${o.replicas}
  selector: {matchLabels: {app: ${o.name}}}
  template:
    metadata: {labels: {app: ${o.name}}}
    spec:
      containers: [{name: ${o.name}, image: ${o.image}, ports: [{containerPort: ${o.port}}]}]
`;
}

export function service(o: { namespace: string; name: string; type: 'ClusterIP' | 'NodePort' | 'LoadBalancer'; port: number; targetPort?: number; portName?: string; extraSpec?: string }): string {
  return `
---
apiVersion: v1
kind: Service
metadata: {name: ${o.name}, namespace: ${o.namespace}}
spec:
  type: ${o.type}
  selector: {app: ${o.name}}
  ports: [{${o.portName ? `name: ${o.portName}, ` : ''}port: ${o.port}, targetPort: ${o.targetPort ?? o.port}}]
${o.extraSpec ?? ''}`;
}
