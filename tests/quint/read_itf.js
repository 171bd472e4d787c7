// Reads ITF files with Quint's own reader (`ofItf` of @informalsystems/quint) and prints,
// for every state of every file, each variable's Quint kind: the opcode of an application
// (`Set`, `List`, `Map`, `Rec`, `Tup`) or the literal's kind (`int`, `str`, `bool`).
// Usage: node read_itf.js QUINT_PACKAGE_DIR FILE...  (tests/itf_quint.rs runs it)
const path = require('path');
const fs = require('fs');
const [quintDir, ...files] = process.argv.slice(2);
const itf = require(path.join(quintDir, 'dist', 'src', 'itf.js'));
const out = {};
for (const file of files) {
  const trace = JSON.parse(fs.readFileSync(file, 'utf8'));
  out[file] = itf.ofItf(trace).map((state) => {
    const kinds = {};
    for (let i = 0; i < state.args.length; i += 2) {
      const value = state.args[i + 1];
      kinds[state.args[i].value] = value.kind === 'app' ? value.opcode : value.kind;
    }
    return kinds;
  });
}
process.stdout.write(JSON.stringify(out));
