/**
 * The shipped ways to run shards (grading/deploy/) are valid against their
 * schemas — Kubernetes objects against the schemas of the kubernetes-models
 * package, the GitHub Actions workflow against the SchemaStore schema that
 * @action-validator/core embeds — and run the commands the kit expects. No
 * cluster, no network.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'fs';
import { join } from 'path';
import { parseAllDocuments, parse } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1';
import { PersistentVolumeClaim } from 'kubernetes-models/v1';
import { validateWorkflow } from '@action-validator/core';
import { parseShard } from '../src/autograde/shards';

const DEPLOY = join(__dirname, '..', 'deploy');
const K8S = join(DEPLOY, 'kubernetes', 'autograde-indexed-job.yaml');
const GHA = join(DEPLOY, 'github-actions', 'autograde-shards.yml');

const models: Record<string, new (data: any) => unknown> = { Job, PersistentVolumeClaim };

function k8sObjects(text: string): any[] {
  return parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS();
  });
}

function validateK8s(objects: any[]): void {
  for (const o of objects) {
    const Model = models[o.kind];
    if (!Model) throw new Error(`no schema for kind ${o.kind}`);
    (new Model(o) as { validate(): void }).validate();
  }
}

describe('Kubernetes Indexed Job', () => {
  const text = readFileSync(K8S, 'utf8');

  it('validates against the Kubernetes schemas', () => {
    const objects = k8sObjects(text);
    expect(objects.map((o) => o.kind)).toEqual(['PersistentVolumeClaim', 'Job']);
    expect(() => validateK8s(objects)).not.toThrow();
  });

  it('the validation can fail: a wrong completion mode or a string for completions is rejected', () => {
    const bad1 = k8sObjects(text);
    bad1[1].spec.completionMode = 'Indexd';
    expect(() => validateK8s(bad1)).toThrow(/completionMode/);
    const bad2 = k8sObjects(text);
    bad2[1].spec.completions = 'three';
    expect(() => validateK8s(bad2)).toThrow(/completions/);
  });

  it('runs one shard per index: i = JOB_COMPLETION_INDEX + 1 of SHARDS = completions = parallelism, key hash-checked, own output folder', () => {
    const job = k8sObjects(text)[1];
    expect(job.spec.completionMode).toBe('Indexed');
    const c = job.spec.template.spec.containers[0];
    const shards = Number(c.env.find((e: any) => e.name === 'SHARDS').value);
    expect([job.spec.completions, job.spec.parallelism]).toEqual([shards, shards]);
    const script: string = c.args[0];
    expect(script).toContain('--shard "$((JOB_COMPLETION_INDEX + 1))/${SHARDS}"');
    expect(script).toContain('--key /key/answer-key.json --key-sha256 "${KEY_SHA256}"');
    expect(script).toContain('--out "/results/shard-$((JOB_COMPLETION_INDEX + 1))"');
    // What the shell makes of it for every index is a shard the CLI accepts, each once.
    const made = Array.from({ length: shards }, (_, k) => parseShard(`${k + 1}/${shards}`).index);
    expect(made).toEqual([0, 1, 2]);
    const mounts = Object.fromEntries(c.volumeMounts.map((m: any) => [m.name, m.mountPath]));
    expect(mounts).toEqual({ results: '/results', 'answer-key': '/key' });
    expect(job.spec.template.spec.volumes.find((v: any) => v.name === 'answer-key').secret).toBeDefined();
  });
});

describe('GitHub Actions matrix workflow', () => {
  const text = readFileSync(GHA, 'utf8');

  it('validates against the workflow schema', () => {
    expect(validateWorkflow(text).errors).toEqual([]);
  });

  it('the validation can fail: a misspelt key is rejected', () => {
    expect(validateWorkflow(text.replace('runs-on: ubuntu-latest', 'runs_on: ubuntu-latest')).errors.length).toBeGreaterThan(0);
  });

  it('builds the key once, grades a matrix of shards with it (hash-checked), merges them', () => {
    const wf = parse(text);
    const shards = Number(wf.env.SHARDS);
    expect(wf.jobs.grade.strategy.matrix.shard).toEqual(Array.from({ length: shards }, (_, i) => i + 1));
    expect(wf.jobs.grade.needs).toBe('key');
    expect(wf.jobs.merge.needs).toBe('grade');
    const grade = wf.jobs.grade.steps.map((s: any) => s.run ?? '').join('\n');
    expect(grade).toContain('--shard "${{ matrix.shard }}/$SHARDS"');
    expect(grade).toContain('--key-sha256 "${{ needs.key.outputs.sha256 }}"');
    expect(grade).toContain('--out "results/shard-${{ matrix.shard }}"');
    expect(wf.jobs.merge.steps.map((s: any) => s.run ?? '').join('\n')).toMatch(/autograde\.js merge build\/.* shards\/results-shard-\*/);
  });
});
