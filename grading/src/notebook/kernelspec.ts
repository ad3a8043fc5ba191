/**
 * The kit's own Jupyter kernel spec for tslab.
 *
 * NOTEBOOK AUTHORS: set each notebook's metadata to
 *   "kernelspec": { "name": "course-kit-tslab", "display_name": "TypeScript (course kit)", "language": "typescript" }
 * (KERNEL_NAME / DISPLAY_NAME below), and "language_info": { "name": "typescript" }.
 *
 * `tslab install` needs IPython's kernelspec tools, which Debian's Jupyter
 * packages do not bring, so the kit writes kernel.json itself into the
 * git-ignored folder `.jupyter-kernels/kernels/<name>/` in the project and
 * points JUPYTER_PATH at `.jupyter-kernels/`. The file names absolute paths of
 * this checkout, so it is generated (on `npm install` via the root `prepare`
 * script, and again by `npm run lab` / `npm run notebooks`), never committed.
 *
 * Run directly (`node grading/dist/notebook/kernelspec.js`) to (re)write it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { delimiter, dirname, join } from 'path';
import { installNbextension } from './nbextension';

export const KERNEL_NAME = 'course-kit-tslab';
export const DISPLAY_NAME = 'TypeScript (course kit)';

/** The notebook metadata that selects the kit's kernel. */
export const NOTEBOOK_KERNELSPEC = {
  name: KERNEL_NAME,
  display_name: DISPLAY_NAME,
  language: 'typescript',
} as const;

/**
 * The project root: the nearest ancestor of `from` whose package.json
 * declares npm workspaces (the kit's root package).
 */
export function projectRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      const json = JSON.parse(readFileSync(pkg, 'utf8')) as { workspaces?: unknown };
      if (json.workspaces) return dir;
    }
    if (dirname(dir) === dir) {
      throw new Error(`projectRoot: no package.json with "workspaces" above ${from}`);
    }
  }
}

export interface KernelSpecInstall {
  /** Folder to put on JUPYTER_PATH (contains kernels/<name>/kernel.json and nbextensions/). */
  jupyterPath: string;
  /** Folder to put on JUPYTER_CONFIG_PATH (nbconfig enabling the kit's plotly renderer, see nbextension.ts). */
  configPath: string;
  /** The written kernel.json. */
  kernelJson: string;
  /** The kernel spec as written. */
  spec: { argv: string[]; display_name: string; language: string; metadata: Record<string, unknown> };
}

/** The command prefix that starts tslab's launcher (a JS file) with this process's Node.js. */
function kernelNode(): string[] {
  return process.platform === 'win32' ? [] : [process.execPath];
}

/** The tslab launcher npm installed for this project. */
export function tslabBin(root: string): string {
  const bin = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'tslab.cmd' : 'tslab');
  if (!existsSync(bin)) {
    throw new Error(`tslab is not installed: ${bin} is missing (run npm install in ${root})`);
  }
  return bin;
}

/**
 * Write `.jupyter-kernels/kernels/<KERNEL_NAME>/kernel.json` for this checkout,
 * and the classic Notebook's plotly renderer next to it (nbextension.ts).
 */
export function installKernelSpec(root: string = projectRoot()): KernelSpecInstall {
  const jupyterPath = join(root, '.jupyter-kernels');
  const dir = join(jupyterPath, 'kernels', KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  const spec = {
    // The kernel runs on the Node.js that wrote this spec (the one that installed the kit or
    // runs `npm run lab`), not on whatever `node` the launcher's #! finds on Jupyter's PATH:
    // a Jupyter started from a desktop menu often has no nvm/fnm Node on PATH at all.
    argv: [...kernelNode(), tslabBin(root), 'kernel', '--config-path', '{connection_file}'],
    display_name: DISPLAY_NAME,
    language: 'typescript',
    metadata: { generated_by: '@course-kit/grading kernelspec.ts' },
  };
  const kernelJson = join(dir, 'kernel.json');
  const text = JSON.stringify(spec, null, 2) + '\n';
  // Rewrite only on change so Jupyter's file watchers stay quiet.
  if (!existsSync(kernelJson) || readFileSync(kernelJson, 'utf8') !== text) {
    writeFileSync(kernelJson, text);
  }
  const { configPath } = installNbextension(jupyterPath);
  return { jupyterPath, configPath, kernelJson, spec };
}

/**
 * A copy of `env` with the kit's folders first on JUPYTER_PATH (kernel spec,
 * nbextension) and JUPYTER_CONFIG_PATH (the config enabling the nbextension).
 */
export function jupyterEnv(install: KernelSpecInstall, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const first = (dir: string, rest: string | undefined) => dir + (rest ? delimiter + rest : '');
  return {
    ...env,
    JUPYTER_PATH: first(install.jupyterPath, env.JUPYTER_PATH),
    JUPYTER_CONFIG_PATH: first(install.configPath, env.JUPYTER_CONFIG_PATH),
  };
}

if (require.main === module) {
  try {
    const install = installKernelSpec();
    console.log(`Kernel "${DISPLAY_NAME}" (${KERNEL_NAME}) written to ${install.kernelJson}`);
    console.log(`Jupyter finds it with JUPYTER_PATH=${install.jupyterPath} and JUPYTER_CONFIG_PATH=${install.configPath} (npm run lab sets both).`);
  } catch (e) {
    // A missing tslab must not fail `npm install` of the whole kit.
    console.warn(`kernelspec: ${(e as Error).message}`);
  }
}
