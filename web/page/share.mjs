// The URL hash holds the experiment. Writing it uses replaceState, which fires no hashchange, so
// only links the person pastes or navigates to come back through onLinkChange.
import { parseLink } from '../lib/config.mjs';
import { splitLink } from '../lib/result-link.mjs';

let written = null;

/** The page's address with the experiment's link as its hash. */
export function shareUrl(linkText) {
  const url = new URL(location.href);
  url.hash = linkText;
  return url.href;
}

export function writeHash(text) {
  written = text;
  if (location.hash.slice(1) !== text) history.replaceState(null, '', `#${text}`);
}

/** The experiment in the current URL, or null when there is none. */
export function readLink() {
  // A sweep and results after '!' are read by sweep-panel.mjs.
  return location.hash.length > 1 ? parseLink(splitLink(location.hash).runs) : null;
}

/** Calls back when the person opens another experiment link; an in-page anchor such as the skip
 * link (#workspace) holds no key=value and is not one. */
export function onLinkChange(callback) {
  addEventListener('hashchange', () => {
    const hash = location.hash.slice(1);
    if (hash !== written && hash.includes('=')) callback(readLink());
  });
}

/** Copies text; resolves false when the browser refuses, so the caller can show it instead. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
