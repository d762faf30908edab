// Charts as PNG files. Curves go out through web/lib/history.mjs (the CLI's format), weights
// straight from the engine as safetensors.
export async function chartPng(chart) {
  const res = await fetch(chart.toBase64Image('image/png', 1));
  return res.blob();
}
