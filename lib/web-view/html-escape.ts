/**
 * Escapes text for HTML and SVG element content and quoted attribute values. Every string that reaches the page
 * goes through it: cluster ids, backup names, user data and problem texts come from buckets other people write.
 *
 * @example escapeHtml('<b title="x">') === '&lt;b title=&quot;x&quot;&gt;'
 */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}
