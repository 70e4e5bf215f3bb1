import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createProgram } from '@aigc-label/cli';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

// The scale-out examples are checked here, not run: kubectl and docker are not on CI. What a
// typo would break is checked: the kinds and fields Kubernetes needs for an Indexed Job, names
// that must match across files, and every aigc-label flag the examples pass.
type Command = ReturnType<typeof createProgram>['program'];
const examples = join(import.meta.dirname, '..', 'examples');

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is checked field by field below.
type Doc = any;

async function load(file: string): Promise<Doc[]> {
  const docs = parseAllDocuments(await readFile(join(examples, file), 'utf8'));
  for (const doc of docs) expect(doc.errors, file).toEqual([]);
  return docs.map((doc) => doc.toJS());
}

const find = (docs: Doc[], kind: string, name: string) => {
  const found = docs.find((d) => d.kind === kind && d.metadata?.name === name);
  expect(found, `${kind} ${name}`).toBeDefined();
  return found;
};

/** Fails on any flag a command line passes that the aigc-label command does not have. */
function checkFlags(words: readonly string[]): void {
  const { program } = createProgram({ out: () => {}, err: () => {} });
  let command: Command = program;
  let i = 0;
  for (; i < words.length; i++) {
    const sub = command.commands.find((c: Command) => c.name() === words[i]);
    if (!sub) break;
    command = sub;
  }
  expect(command, words.join(' ')).not.toBe(program);
  for (const word of words.slice(i)) {
    if (!word.startsWith('-')) continue;
    const known = command.options.some((o) => o.long === word || o.short === word);
    expect(known, `${words.slice(0, 2).join(' ')} has no option ${word}`).toBe(true);
  }
}

/** The words after `aigc-label` in a shell command line. */
const shellWords = (line: string) =>
  line
    .slice(line.indexOf('aigc-label ') + 'aigc-label '.length)
    .split(/[;>]/)[0]
    ?.trim()
    .split(/\s+/) ?? [];

describe('examples/k8s', () => {
  it('runs sharded verify as an Indexed Job: one shard per index, retried per index, reports per shard', async () => {
    const [job] = await load('k8s/indexed-job.yaml');
    expect(job).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      spec: { completionMode: 'Indexed', template: { spec: { restartPolicy: 'Never' } } },
    });
    expect(job.spec.backoffLimitPerIndex).toBeGreaterThanOrEqual(1);
    const container = job.spec.template.spec.containers[0];
    const count = container.env.find((e: Doc) => e.name === 'AIGC_SHARD_COUNT')?.value;
    expect(Number(count)).toBe(job.spec.completions);
    const line = container.args.join(' ');
    expect(line).toMatch(/--shard-count "\$AIGC_SHARD_COUNT"/);
    expect(line).toMatch(/--report "\/data\/reports\/verify-\$JOB_COMPLETION_INDEX\.jsonl"/);
    checkFlags(shellWords(line));
    const pvcs = await load('k8s/pvc.yaml');
    const claim = job.spec.template.spec.volumes[0].persistentVolumeClaim.claimName;
    expect(find(pvcs, 'PersistentVolumeClaim', claim).spec.accessModes).toContain('ReadWriteMany');
  });

  it('runs queue workers against a persistent Redis, stopping gracefully within the grace period', async () => {
    const [deployment] = await load('k8s/worker-deployment.yaml');
    const redis = await load('k8s/redis.yaml');
    expect(deployment).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 3 } });
    const pod = deployment.spec.template;
    const args: string[] = pod.spec.containers[0].args;
    checkFlags(args);
    const option = (name: string) => args[args.indexOf(name) + 1];
    expect(Number(option('--shutdown-seconds'))).toBeLessThan(pod.spec.terminationGracePeriodSeconds);
    expect(pod.spec.containers[0].ports[0].containerPort).toBe(Number(option('--metrics-port')));
    expect(pod.metadata.annotations['prometheus.io/port']).toBe(option('--metrics-port'));
    const url = new URL(option('--redis') ?? '');
    const service = find(redis, 'Service', url.hostname);
    expect(service.spec.ports[0].port).toBe(Number(url.port));
    const server = find(redis, 'Deployment', 'redis').spec.template.spec;
    expect(server.containers[0].args.join(' ')).toMatch(/--appendonly yes/);
    find(redis, 'PersistentVolumeClaim', server.volumes[0].persistentVolumeClaim.claimName);
    const pvcs = await load('k8s/pvc.yaml');
    find(pvcs, 'PersistentVolumeClaim', pod.spec.volumes[0].persistentVolumeClaim.claimName);
  });
});

describe('examples/docker-compose.yml', () => {
  it('starts Redis with persistence and three workers sharing ./data', async () => {
    const [compose] = await load('docker-compose.yml');
    expect(compose.services.redis.command.join(' ')).toMatch(/--appendonly yes/);
    expect(compose.services.worker.deploy.replicas).toBe(3);
    for (const name of ['worker', 'enqueue', 'status']) {
      const command: string[] = compose.services[name].command;
      checkFlags(command);
      expect(new URL(command[command.indexOf('--redis') + 1] ?? '').hostname).toBe('redis');
    }
    expect(compose.services.worker.volumes).toContain('./data:/data');
    expect(compose.services.enqueue.volumes).toContain('./data:/data');
  });
});
