import { readFileSync } from 'fs';
import { basename } from 'path';
import { CourseConfig, loadCourseConfig } from './config';
import { Db, inTransaction, requireMeta } from './db';

/**
 * Stores the validated course config in the gradebook. Running it again with
 * an edited config (e.g. a moved due date) updates the stored copy, audited;
 * penalties follow automatically since they are computed at read time.
 * Returns the number of changes (0 if the config is the same).
 */
export function initCourse(db: Db, configPath: string): { config: CourseConfig; changes: number } {
  const text = readFileSync(configPath, 'utf8');
  const config = loadCourseConfig(configPath, text);
  const { changes } = inTransaction(db, `config:${basename(configPath)}`, `config ${basename(configPath)}`, (cs) => {
    cs.upsert('meta', { key: 'config', value: JSON.stringify(config) });
  });
  return { config, changes };
}

/** The course config stored by initCourse. */
export function getConfig(db: Db): CourseConfig {
  return JSON.parse(requireMeta(db, 'config')) as CourseConfig;
}
