import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { delimiter, join, resolve } from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { NBEXTENSION_NAME, PLOTLY_MIME, plotlySource } from '@course-kit/lib';
import { DISPLAY_NAME, KERNEL_NAME, installKernelSpec, jupyterEnv, projectRoot } from '../src/notebook/kernelspec';

describe('kernel spec', () => {
  const root = mkdtempSync(join(tmpdir(), 'kit-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('finds the project root from inside a workspace package', () => {
    expect(projectRoot(__dirname)).toBe(resolve(__dirname, '../..'));
  });

  it('writes kernel.json under .jupyter-kernels/kernels/<name>: the project tslab on this Node.js', () => {
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'kit', workspaces: ['lib'] }));
    expect(() => installKernelSpec(root)).toThrow(/tslab is not installed/);
    mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
    writeFileSync(join(root, 'node_modules', '.bin', 'tslab'), '#!/bin/sh\n');
    const install = installKernelSpec(root);
    expect(install.kernelJson).toBe(join(root, '.jupyter-kernels', 'kernels', KERNEL_NAME, 'kernel.json'));
    const spec = JSON.parse(readFileSync(install.kernelJson, 'utf8'));
    expect(spec).toMatchObject({
      argv: [process.execPath, join(root, 'node_modules', '.bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'],
      display_name: DISPLAY_NAME,
      language: 'typescript',
    });
    // Unchanged content is not rewritten.
    const mtime = statSync(install.kernelJson).mtimeMs;
    installKernelSpec(root);
    expect(statSync(install.kernelJson).mtimeMs).toBe(mtime);
  });

  it('puts the kit folders first on JUPYTER_PATH and JUPYTER_CONFIG_PATH and keeps the rest', () => {
    const install = installKernelSpec(root);
    expect(jupyterEnv(install, { JUPYTER_PATH: '/elsewhere', JUPYTER_CONFIG_PATH: '/conf', HOME: '/h' })).toEqual({
      JUPYTER_PATH: install.jupyterPath + delimiter + '/elsewhere',
      JUPYTER_CONFIG_PATH: install.configPath + delimiter + '/conf',
      HOME: '/h',
    });
    expect(jupyterEnv(install, {})).toEqual({ JUPYTER_PATH: install.jupyterPath, JUPYTER_CONFIG_PATH: install.configPath });
  });

  it("installs the classic Notebook's plotly renderer with its own plotly.js, enabled by the config folder", () => {
    const install = installKernelSpec(root);
    const dir = join(install.jupyterPath, 'nbextensions', NBEXTENSION_NAME);
    const main = readFileSync(join(dir, 'main.js'), 'utf8');
    expect(main).toContain("register_mime_type(MIME, render, { safe: true, index: 0 })");
    expect(main).toContain(JSON.stringify(PLOTLY_MIME));
    expect(readFileSync(join(dir, 'plotly.min.js'), 'utf8')).toBe(plotlySource());
    expect(JSON.parse(readFileSync(join(install.configPath, 'nbconfig', 'notebook.json'), 'utf8'))).toEqual({
      load_extensions: { [`${NBEXTENSION_NAME}/main`]: true },
    });
    // Unchanged files are not rewritten (Jupyter watches nothing here, but npm run lab runs this every time).
    const mtime = statSync(join(dir, 'plotly.min.js')).mtimeMs;
    installKernelSpec(root);
    expect(statSync(join(dir, 'plotly.min.js')).mtimeMs).toBe(mtime);
  });
});
