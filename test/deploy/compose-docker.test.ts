// The compose stack and the Dockerfile. docker-compose (v1, Debian) validates
// the compose file against the Compose schema offline; the Dockerfile cannot
// be built without a container engine, so its COPY sources and entry point are
// checked against the repository instead.
import { test } from 'vitest'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { get, loadYaml, repoPath, requireTool, run, type YamlObject } from './helpers.js'

test('deploy/compose.yaml passes docker-compose config validation', (t) => {
  const compose = requireTool(t, 'docker-compose')
  if (compose === null) return
  const result = run(compose, ['-f', 'deploy/compose.yaml', 'config', '-q'])
  assert.equal(result.status, 0, result.output)
})

test('the compose stack has every service, and mounts files that exist', () => {
  const compose = loadYaml(repoPath('deploy/compose.yaml'))
  const services = compose.services as Record<string, YamlObject>
  for (const name of ['kafka', 'elasticsearch', 'redis', 'groundstream', 'groundstream-api', 'prometheus', 'grafana']) {
    assert.ok(services[name] !== undefined, `service ${name}`)
  }
  for (const [name, service] of Object.entries(services)) {
    for (const volume of (service.volumes ?? []) as string[]) {
      const source = volume.split(':')[0] as string
      if (!source.startsWith('.')) continue
      assert.ok(existsSync(repoPath('deploy', source)), `${name}: ${source} does not exist`)
    }
  }
  // Prometheus scrapes the compose service names on the ports they listen on.
  const prometheus = loadYaml(repoPath('deploy/prometheus/prometheus.yml'))
  const targets = (prometheus.scrape_configs as YamlObject[]).flatMap((job) => (get(job, 'static_configs', 0, 'targets') ?? []) as string[])
  assert.ok(targets.includes(`groundstream:${String(get(services.groundstream, 'environment', 'GS_METRICS_PORT'))}`))
  assert.ok(targets.includes(`groundstream-api:${String(get(services['groundstream-api'], 'environment', 'GS_API_PORT'))}`))
})

test('the Dockerfile copies paths that exist and runs the CLI the package declares', () => {
  const dockerfile = readFileSync(repoPath('deploy/Dockerfile'), 'utf8')
  const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gmu)].flatMap((m) => (m[1] as string).split(/\s+/u))
  assert.ok(copies.length >= 5)
  for (const source of copies) assert.ok(existsSync(repoPath(source)), `COPY ${source}: missing`)
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { bin: Record<string, string> }
  const entry = [...dockerfile.matchAll(/^ENTRYPOINT \["node", "([^"]+)"\]$/gmu)].map((m) => m[1])
  assert.equal(entry.length, 2, 'cpu and gpu targets')
  for (const path of entry) assert.equal(path, pkg.bin.groundstream)
  for (const target of ['build', 'cpu', 'gpu']) assert.match(dockerfile, new RegExp(`^FROM \\S+ AS ${target}$`, 'mu'))
  // The committed models (int8 + tokenizers + manifests) go into the image; fp32 exports stay out.
  assert.ok(existsSync(repoPath('models')))
  const ignore = readFileSync(repoPath('deploy/Dockerfile.dockerignore'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'))
  assert.deepEqual(ignore.filter((l) => l.includes('models')), ['!models/**', 'models/**/*.fp32.onnx'])
})
