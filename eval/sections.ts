/** EVAL.md is written by several tools; each owns the part between `<!-- name:begin -->` and `<!-- name:end -->`. */

export const sectionMarkers = (name: string): { begin: string; end: string } => ({ begin: `<!-- ${name}:begin -->`, end: `<!-- ${name}:end -->` });

/** `text` with its `name` section replaced by `section` (which carries its own markers); appended when absent. */
export function replaceMarkedSection(text: string, name: string, section: string): string {
  const { begin, end } = sectionMarkers(name);
  const a = text.indexOf(begin);
  const b = text.indexOf(end);
  if (a >= 0 && b > a) return text.slice(0, a) + section.trimEnd() + text.slice(b + end.length);
  return `${text.trimEnd()}${text ? '\n\n' : ''}${section}`;
}
