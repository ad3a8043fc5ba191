import { readFileSync } from 'fs';
import { resolve } from 'path';
import { describe, expect, it } from 'vitest';
import { loadCourseConfig } from '../src/gradebook/config';

const file = resolve(__dirname, '../../data/course.yaml');
const text = readFileSync(file, 'utf8');

describe('course.yaml milestones', () => {
  it('the sample course carries the syllabus milestones as data', () => {
    const c = loadCourseConfig(file, text);
    const m = Object.fromEntries((c.milestones ?? []).map((x) => [x.id, x]));
    expect(m['topic-proposal']?.date).toBe('2027-05-03');
    expect(m['teams-formed']?.date).toBe('2027-05-03');
    expect(m['project-report']).toMatchObject({ date: '2027-06-10', approximate: true, assignment: 'project' });
  });

  it('a config without milestones still loads (the section is optional)', () => {
    const without = text.slice(0, text.indexOf('\nmilestones:'));
    expect(loadCourseConfig(file, without).milestones).toEqual([]);
  });

  it('names file, line and field for a bad milestone', () => {
    const bad = text.replace('date: "2027-06-10"', 'date: "2027-06-31"').replace('assignment: proposal', 'assignment: proposl');
    expect(() => loadCourseConfig(file, bad)).toThrow(/milestones\[2\]\.date: "2027-06-31" is not a calendar date/);
    expect(() => loadCourseConfig(file, bad)).toThrow(/milestones\[0\]\.assignment: unknown assignment "proposl"/);
    const extra = text.replace('    approximate: true\n', '    approximate: true\n    colour: red\n');
    expect(() => loadCourseConfig(file, extra)).toThrow(/course\.yaml:\d+.*milestones\[2\]\.colour.*unknown field "colour"/);
  });
});
