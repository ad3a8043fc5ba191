/** `serve`: the manual grading page (registered on the course-autograde CLI). */
import type { Command } from 'commander';
import { startServer } from './server';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the manual grading page on 127.0.0.1 (written answers, seminar summaries; rubric scores go into the gradebook)')
    .option('--db <file>', 'gradebook SQLite file (npm start writes build/gradebook.sqlite)', 'build/gradebook.sqlite')
    .option('--config <yaml>', 'course config with manual_grading entries', 'data/course.yaml')
    .option('-p, --port <n>', 'port (default: any free port)', (v) => Number(v), 0)
    .option('--grader <name>', 'your name for the audit log (default: the OS user)')
    .option('--anonymous', 'hide names and ids; shuffled order, submissions by number')
    .action(async (o: { db: string; config: string; port: number; grader?: string; anonymous?: boolean }) => {
      const server = await startServer({ db: o.db, config: o.config, port: o.port, grader: o.grader, anonymous: o.anonymous === true });
      console.log(`Manual grading page (Ctrl+C stops it):\n  ${server.url}`);
      const stop = () => void server.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
