// YAML reads 0x2a, 0o52, 052 (YAML 1.1) and 1:20 (sexagesimal) as numbers, differently per YAML
// version; a VNI or key written that way is almost certainly a mistake, so numbers must be decimal.
import { isPair, isScalar, isSeq, visit, type Document } from "yaml";
import { formatConfigPath } from "./config-path.js";

/** A plain decimal integer, no sign, no leading zero: what the config's numbers are written as. */
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** One problem per number in the document not written as a decimal integer, as `path: message`. */
export function nonDecimalNumbers(doc: Document, text: string): string[] {
  const problems: string[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === "key" || typeof node.value !== "number" || node.range === undefined || node.range === null) return;
      const written = text.slice(node.range[0], node.range[1]).trim();
      if (DECIMAL.test(written)) return;
      const path = pathOf([...ancestors, node]);
      const hint = Number.isInteger(node.value) && node.value >= 0 ? ` (write ${node.value} if that is what you mean)` : "";
      problems.push(`${formatConfigPath(path)}: ${written} is not a decimal integer; hex, octal, sexagesimal and fractional forms are refused${hint}`);
    },
  });
  return problems;
}

/** The keys and indexes leading to the last element of ancestors (visit's path plus the node). */
function pathOf(chain: readonly unknown[]): (string | number)[] {
  const path: (string | number)[] = [];
  chain.forEach((element, i) => {
    if (isPair(element)) path.push(isScalar(element.key) ? String(element.key.value) : String(element.key));
    else if (isSeq(element)) path.push(element.items.indexOf(chain[i + 1] as (typeof element.items)[number]));
  });
  return path;
}
