/**
 * `npm run lab [-- options]`: start JupyterLab (or, failing that, the classic
 * Notebook) on notebooks/ with the kit's TypeScript kernel and plotly
 * renderer, or explain how to install Jupyter.
 *
 * Options other than the kit's own (--help, --notebook) go to Jupyter as
 * they are, e.g. --no-browser, --allow-root, --port=8899.
 */
import { spawn } from 'child_process';
import { join } from 'path';
import { DISPLAY_NAME, installKernelSpec, jupyterEnv, projectRoot } from './kernelspec';
import { hasJupyter } from './runner';

/**
 * How to get Jupyter on a fresh machine, first what works on Debian/Ubuntu
 * (Debian 12's pip refuses system-wide installs: "externally-managed-environment";
 * JupyterLab is not packaged there). notebooks/README.md and README.md say the same.
 */
export const INSTALL_HELP = `Jupyter is not installed (neither "jupyter lab" nor "jupyter notebook" was found).

On Debian or Ubuntu, the classic Notebook from the distribution:

  sudo apt-get install jupyter-notebook jupyter-client

JupyterLab (not packaged in Debian 12, and pip refuses system-wide installs there),
with pipx or in a virtual environment of your own:

  sudo apt-get install pipx && pipx install --include-deps jupyterlab && pipx ensurepath
  # or: sudo apt-get install python3-venv
  #     python3 -m venv ~/jupyter-env && ~/jupyter-env/bin/pip install jupyterlab
  #     export PATH="$HOME/jupyter-env/bin:$PATH"

Other systems: pip install jupyterlab (or notebook) in a virtual environment.

Then run "npm run lab" again (as root: npm run lab -- --allow-root).
Or open the notebooks in VS Code with its Jupyter extension and pick the kernel
"${DISPLAY_NAME}" (see notebooks/README.md).`;

export const USAGE = `Usage: npm run lab [-- options]

Starts JupyterLab on notebooks/ (the classic Notebook when Lab is not
installed) with the kernel "${DISPLAY_NAME}" and the kit's plotly renderer.

Options of this command:
  --notebook      use the classic Notebook even when JupyterLab is installed
  -h, --help      show this help

Every other option goes to Jupyter unchanged, for example:
  --no-browser    do not open a browser; open the printed URL (with its token) yourself
  --allow-root    needed when running as root (Jupyter refuses root otherwise)
  --port=8899     another port (default 8888, or the next free one)

Examples:
  npm run lab
  npm run lab -- --no-browser
  npm run lab -- --no-browser --allow-root      # as root, e.g. in a container`;

export const ROOT_ADVICE = `You are running as root, and Jupyter refuses to start as root unless told to.
If that is what you want (a container, a VM of your own), run:

  npm run lab -- --allow-root`;

/** What `npm run lab` does with its arguments on this machine. */
export type LabPlan =
  | { action: 'help'; text: string; exitCode: 0 }
  | { action: 'advice'; text: string; exitCode: 1 }
  | { action: 'start'; app: 'lab' | 'notebook'; args: string[] };

export interface LabEnvironment {
  isRoot: boolean;
  hasLab: () => boolean;
  hasNotebook: () => boolean;
}

/** Decide from the arguments (after `--`) and the machine, without starting anything. */
export function planLab(argv: string[], env: LabEnvironment): LabPlan {
  if (argv.includes('--help') || argv.includes('-h')) return { action: 'help', text: USAGE, exitCode: 0 };
  const classic = argv.includes('--notebook');
  const passed = argv.filter((a) => a !== '--notebook');
  const app = !classic && env.hasLab() ? 'lab' : env.hasNotebook() ? 'notebook' : undefined;
  if (!app) return { action: 'advice', text: INSTALL_HELP, exitCode: 1 };
  if (env.isRoot && !passed.some((a) => a === '--allow-root' || a.startsWith('--allow-root='))) {
    return { action: 'advice', text: ROOT_ADVICE, exitCode: 1 };
  }
  return { action: 'start', app, args: [app, ...passed] };
}

function main(argv: string[]): void {
  const root = projectRoot();
  const plan = planLab(argv, {
    isRoot: process.getuid?.() === 0,
    hasLab: () => hasJupyter('lab'),
    hasNotebook: () => hasJupyter('notebook'),
  });
  if (plan.action === 'help') {
    console.log(plan.text);
    return;
  }
  const install = installKernelSpec(root);
  if (plan.action === 'advice') {
    console.error(plan.text);
    console.error(`\n(The kernel spec is ready at ${install.kernelJson}.)`);
    process.exit(plan.exitCode);
  }
  const notebooks = join(root, 'notebooks');
  console.log(`Starting jupyter ${plan.app} on ${notebooks} with kernel "${DISPLAY_NAME}" (JUPYTER_PATH=${install.jupyterPath})`);
  const child = spawn('jupyter', plan.args, { cwd: notebooks, env: jupyterEnv(install), stdio: 'inherit' });
  // Ctrl-C reaches Jupyter through the terminal's process group; just wait for it.
  process.on('SIGINT', () => undefined);
  // A plain kill of this process stops Jupyter too.
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (e) => {
    console.error(`could not start jupyter ${plan.app}: ${e.message}`);
    process.exit(1);
  });
}

if (require.main === module) main(process.argv.slice(2));
