// Downloads a dataset's four gzipped IDX files (MNIST's, or Fashion-MNIST's in data/fashion/) and gunzips them as they stream in, reporting bytes.
// DecompressionStream works in small slices on the event loop, so the page stays responsive, and
// the result stays in Blobs: handing a Blob to a worker costs nothing, where a 47 MB array would be
// copied on the main thread for every worker.

const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
};

async function fetchOne(url, name, onBytes) {
  let res;
  try {
    res = await fetch(url);
  } catch {
    throw new Error(`Could not download ${name}: the server did not answer.`);
  }
  if (!res.ok) throw new Error(`Could not download ${name} (HTTP ${res.status}).`);
  const total = Number(res.headers.get('Content-Length')) || 0;
  onBytes(0, total);
  const counter = new TransformStream({
    transform(chunk, ctl) {
      onBytes(chunk.byteLength, 0);
      ctl.enqueue(chunk);
    },
  });
  try {
    const plain = res.body.pipeThrough(counter).pipeThrough(new DecompressionStream('gzip'));
    return await new Response(plain).blob();
  } catch {
    throw new Error(`${name} is damaged: it is not a complete gzip file.`);
  }
}

/**
 * Resolves to { trainImages, trainLabels, testImages, testLabels }: Blobs of the raw IDX bytes.
 * onProgress(loadedBytes, totalBytes) is called as compressed bytes arrive.
 */
export async function loadDataset(baseUrl, onProgress) {
  let loaded = 0;
  let total = 0;
  const onBytes = (got, size) => {
    loaded += got;
    total += size;
    onProgress(loaded, total);
  };
  const entries = Object.entries(FILES);
  const bytes = await Promise.all(entries.map(([, name]) => fetchOne(new URL(name, baseUrl), name, onBytes)));
  return Object.fromEntries(entries.map(([key], i) => [key, bytes[i]]));
}

/** MNIST's files, from the site's data/ folder. */
export const loadMnist = loadDataset;
