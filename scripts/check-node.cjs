#!/usr/bin/env node
/*
 * Refuses to go on under a Node.js the kit does not support, with a message
 * that says which versions work and how to get one.
 *
 * Runs first in `npm install` (the root `preinstall` script) and from every
 * command-line entry point (grading/src/node-support.ts calls `check`), so a
 * student on Node 18 reads this, not a stack trace from a dependency.
 *
 * The supported lines are policy as data: the root package.json's
 * `engines.node`, such as "^20.19.0 || ^22.12.0 || >=24.0.0": the tested lines,
 * the newest one open-ended. A later major is let through with a warning
 * (untested, not known broken); an older one, or an older minor of a listed
 * line, stops. `.npmrc` sets engine-strict, so npm itself refuses the same
 * versions before it downloads anything; this script gives the friendly words.
 *
 * Written in ES5 on purpose: it must parse on any Node that someone may run.
 */
'use strict';
var fs = require('fs');
var path = require('path');

/**
 * "^20.19.0 || ^22.12.0 || >=24.0.0" -> [{min:[20,19,0], open:false}, …, {min:[24,0,0], open:true}].
 * A caret range is one major line; ">=" opens the newest line to later majors.
 */
function parseEngines(range) {
  return String(range).split('||').map(function (part) {
    var m = /^\s*(\^|>=)(\d+)\.(\d+)\.(\d+)\s*$/.exec(part);
    if (!m) throw new Error('check-node: engines.node must be ^X.Y.Z or >=X.Y.Z ranges joined by ||, got "' + range + '"');
    return { min: [Number(m[2]), Number(m[3]), Number(m[4])], open: m[1] === '>=' };
  });
}

function parseVersion(v) {
  var m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(v);
  if (!m) throw new Error('check-node: cannot read the Node.js version "' + v + '"');
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function atLeast(v, min) {
  for (var i = 0; i < 3; i++) {
    if (v[i] !== min[i]) return v[i] > min[i];
  }
  return true;
}

/**
 * { ok, warn, message } for a version string and an engines range.
 * ok=false: unsupported (too old, or a line not listed); warn=true: a major
 * above the newest tested line (the base of the ">=" range), allowed by npm.
 */
function judge(version, range) {
  var lines = parseEngines(range);
  var v = parseVersion(version);
  var names = lines.map(function (l) { return l.min[0] + ' (≥ ' + l.min.join('.') + ')'; }).join(', ');
  var newest = lines.reduce(function (a, l) { return Math.max(a, l.min[0]); }, 0);
  for (var i = 0; i < lines.length; i++) {
    var l = lines[i];
    if (v[0] === l.min[0]) {
      if (atLeast(v, l.min)) return { ok: true, warn: false, message: '' };
      return { ok: false, warn: false, message: explain(version, names, 'Node.js ' + v[0] + ' is supported from ' + l.min.join('.') + ' on.') };
    }
    if (l.open && v[0] > l.min[0]) {
      return {
        ok: true,
        warn: true,
        message: 'course kit: Node.js ' + version + ' is newer than the lines the kit is tested on (' + names +
          '). It should work; if something fails, use Node.js ' + newest + '.',
      };
    }
  }
  return { ok: false, warn: false, message: explain(version, names, 'Node.js ' + v[0] + ' is not supported.') };
}

function explain(version, names, why) {
  return [
    'course kit: this is Node.js ' + version + '. ' + why,
    'The kit needs one of the Node.js lines ' + names + '; 22 or 24 (LTS) is the best choice.',
    'How to get one:',
    '  - from nodejs.org (installer or binary archive), or',
    '  - with a version manager: `nvm install 24 && nvm use 24` (nvm) or `fnm use --install-if-missing 24` (fnm), or',
    '  - on Debian/Ubuntu, the NodeSource packages for the 22.x or 24.x line.',
    'Then run `node --version` to confirm, and `npm install` again in the kit folder.',
  ].join('\n');
}

function enginesRange() {
  var pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
  return pkg.engines && pkg.engines.node;
}

/** Prints and exits 1 when unsupported; prints a warning when newer than tested. */
function check(version) {
  var verdict = judge(version || process.version, enginesRange());
  if (!verdict.ok) {
    process.stderr.write(verdict.message + '\n');
    process.exit(1);
  }
  if (verdict.warn && !process.env.COURSE_KIT_NODE_WARNED) {
    process.env.COURSE_KIT_NODE_WARNED = '1';
    process.stderr.write(verdict.message + '\n');
  }
}

module.exports = { judge: judge, parseEngines: parseEngines, check: check };

if (require.main === module) check();
