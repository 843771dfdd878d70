// The compose stack and the Dockerfile. docker-compose (v1, Debian) validates
// the compose file against the Compose schema offline; the Dockerfile cannot
// be built without a container engine, so its COPY sources and entry point are
// checked against the repository instead.
import { expect, test } from 'vitest'
import { existsSync, readFileSync } from 'node:fs'
import { get, loadYaml, repoPath, requireTool, run, type YamlObject } from './helpers.js'

test('deploy/compose.yaml passes docker-compose config validation', (t) => {
  const compose = requireTool(t, 'docker-compose')
  if (compose === null) return
  const result = run(compose, ['-f', 'deploy/compose.yaml', 'config', '-q'])
  expect(result.status, result.output).toBe(0)
})

test('the compose stack has every service, and mounts files that exist', () => {
  const compose = loadYaml(repoPath('deploy/compose.yaml'))
  const services = compose.services as Record<string, YamlObject>
  for (const name of ['kafka', 'elasticsearch', 'redis', 'groundstream', 'groundstream-api', 'prometheus', 'grafana']) {
    expect(services[name] !== undefined, `service ${name}`).toBeTruthy()
  }
  for (const [name, service] of Object.entries(services)) {
    for (const volume of (service.volumes ?? []) as string[]) {
      const source = volume.split(':')[0] as string
      if (!source.startsWith('.')) continue
      expect(existsSync(repoPath('deploy', source)), `${name}: ${source} does not exist`).toBeTruthy()
    }
  }
  // Prometheus scrapes the compose service names on the ports they listen on.
  const prometheus = loadYaml(repoPath('deploy/prometheus/prometheus.yml'))
  const targets = (prometheus.scrape_configs as YamlObject[]).flatMap((job) => (get(job, 'static_configs', 0, 'targets') ?? []) as string[])
  expect(targets.includes(`groundstream:${String(get(services.groundstream, 'environment', 'GS_METRICS_PORT'))}`)).toBeTruthy()
  expect(targets.includes(`groundstream-api:${String(get(services['groundstream-api'], 'environment', 'GS_API_PORT'))}`)).toBeTruthy()
})

test('the Dockerfile copies paths that exist and runs the CLI the package declares', () => {
  const dockerfile = readFileSync(repoPath('deploy/Dockerfile'), 'utf8')
  const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gmu)].flatMap((m) => (m[1] as string).split(/\s+/u))
  expect(copies.length >= 5).toBeTruthy()
  for (const source of copies) expect(existsSync(repoPath(source)), `COPY ${source}: missing`).toBeTruthy()
  const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { bin: Record<string, string> }
  const entry = [...dockerfile.matchAll(/^ENTRYPOINT \["node", "([^"]+)"\]$/gmu)].map((m) => m[1])
  expect(entry.length, 'cpu and gpu targets').toBe(2)
  for (const path of entry) expect(path).toBe(pkg.bin.groundstream)
  for (const target of ['build', 'cpu', 'gpu']) expect(dockerfile).toMatch(new RegExp(`^FROM \\S+ AS ${target}$`, 'mu'))
  // The committed models (int8 + tokenizers + manifests) go into the image; fp32 exports stay out.
  expect(existsSync(repoPath('models'))).toBeTruthy()
  const ignore = readFileSync(repoPath('deploy/Dockerfile.dockerignore'), 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'))
  expect(ignore.filter((l) => l.includes('models'))).toStrictEqual(['!models/**', 'models/**/*.fp32.onnx'])
})
