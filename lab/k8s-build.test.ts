import { describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFleetlbError } from '../runtime/errors.js';
import { buildLabBinaries, compareVersions, goDirective, parseGoVersion, stagingModules, stagingVersion, toolsGoFile, toolsGoMod, versionLdflags } from './k8s-build.js';

// The shape of k8s.io/kubernetes' go.mod: staging modules replaced by local paths, plus
// ordinary requirements that must not be touched.
const releaseGoMod = `module k8s.io/kubernetes

go 1.24.0

require (
	github.com/spf13/cobra v1.9.1
	k8s.io/api v0.0.0
	k8s.io/client-go v0.0.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	k8s.io/endpointslice => ./staging/src/k8s.io/endpointslice
)
`;

describe('tools module for building Kubernetes from the module proxy', () => {
  test('every staging module of the release is pinned to the matching v0 tag', () => {
    expect(stagingModules(releaseGoMod)).toEqual(['k8s.io/api', 'k8s.io/client-go', 'k8s.io/endpointslice']);
    const mod = toolsGoMod('v1.34.4', releaseGoMod);
    expect(mod).toContain('require k8s.io/kubernetes v1.34.4');
    expect(mod).toContain('replace k8s.io/api => k8s.io/api v0.34.4');
    expect(mod).toContain('replace k8s.io/endpointslice => k8s.io/endpointslice v0.34.4');
    expect(mod).toContain('go 1.24.0');
    expect(mod).not.toContain('cobra');
  });

  test('single-line replace directives are recognised too', () => {
    expect(stagingModules('replace k8s.io/kms => ./staging/src/k8s.io/kms\n')).toEqual(['k8s.io/kms']);
  });

  test('a go.mod without staging modules is refused', () => {
    expect(() => toolsGoMod('v1.34.4', 'module x\n')).toThrow(/no staging modules/);
  });

  test('versions map and compare numerically', () => {
    expect(stagingVersion('v1.34.4')).toBe('v0.34.4');
    expect(() => stagingVersion('1.34')).toThrow();
    expect(goDirective(releaseGoMod)).toBe('1.24.0');
    expect(parseGoVersion('go version go1.26.8 linux/amd64')).toBe('1.26.8');
    expect(compareVersions('1.9', '1.24.0')).toBeLessThan(0);
    expect(compareVersions('1.26.8', '1.24.0')).toBeGreaterThan(0);
    expect(compareVersions('1.24', '1.24.0')).toBe(0);
  });

  test('the tools file imports every lab command and etcd', () => {
    const go = toolsGoFile();
    for (const pkg of ['k8s.io/kubernetes/cmd/kube-apiserver', 'k8s.io/kubernetes/cmd/kubectl', 'k8s.io/kubernetes/cmd/kube-proxy', 'go.etcd.io/etcd/server/v3']) {
      expect(go).toContain(`_ "${pkg}"`);
    }
    expect(go.startsWith('//go:build tools')).toBe(true);
  });

  test('binaries are stamped with the release so /version reports it', () => {
    const flags = versionLdflags('v1.34.4');
    expect(flags).toContain('-X k8s.io/component-base/version.gitVersion=v1.34.4');
    expect(flags).toContain('-X k8s.io/component-base/version.gitMinor=34');
    expect(flags).toContain('-X k8s.io/client-go/pkg/version.gitVersion=v1.34.4');
  });

  test('missing Go is one clear sentence saying what to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fleetlb-build-'));
    try {
      const err = await buildLabBinaries({ kubernetesVersion: 'v1.34.4', targetDir: dir, go: join(dir, 'no-such-go'), progress: () => {} }).catch((e: unknown) => e);
      expect(isFleetlbError(err, 'LAB_GO_MISSING')).toBe(true);
      expect((err as Error).message).toMatch(/install Go .* or set FLEETLB_K8S_BIN_DIR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
