// Before each test file: freeze the realm as a grading sandbox does (grading/src/autograde/realm.ts).
require('../dist/autograde/realm.js').lockdownIntrinsics(['mathjs']);
