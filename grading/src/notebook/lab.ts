/**
 * `npm run lab [-- extra jupyter args]`: start JupyterLab (or, failing that,
 * the classic Notebook) on notebooks/ with the kit's TypeScript kernel, or
 * explain how to install Jupyter.
 */
import { spawn } from 'child_process';
import { join } from 'path';
import { DISPLAY_NAME, installKernelSpec, jupyterEnv, projectRoot } from './kernelspec';
import { hasJupyter } from './runner';

export const INSTALL_HELP = `Jupyter is not installed (neither "jupyter lab" nor "jupyter notebook" was found).
Install one of them, then run "npm run lab" again:

  pip install jupyterlab                         # any system with Python 3 and pip
  sudo apt-get install jupyter-notebook          # Debian / Ubuntu

Or open the notebooks in VS Code (Jupyter extension) and pick the kernel
"${DISPLAY_NAME}" after running "npm run lab" once, or point JUPYTER_PATH
at the kit's .jupyter-kernels folder.`;

function main(): void {
  const root = projectRoot();
  const install = installKernelSpec(root);
  const app = hasJupyter('lab') ? 'lab' : hasJupyter('notebook') ? 'notebook' : undefined;
  if (!app) {
    console.error(INSTALL_HELP);
    console.error(`\n(The kernel spec is ready at ${install.kernelJson}.)`);
    process.exit(1);
  }
  const notebooks = join(root, 'notebooks');
  console.log(`Starting jupyter ${app} on ${notebooks} with kernel "${DISPLAY_NAME}" (JUPYTER_PATH=${install.jupyterPath})`);
  const child = spawn('jupyter', [app, ...process.argv.slice(2)], { cwd: notebooks, env: jupyterEnv(install), stdio: 'inherit' });
  // Ctrl-C reaches Jupyter through the terminal's process group; just wait for it.
  process.on('SIGINT', () => undefined);
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (e) => {
    console.error(`could not start jupyter ${app}: ${e.message}`);
    process.exit(1);
  });
}

if (require.main === module) main();
