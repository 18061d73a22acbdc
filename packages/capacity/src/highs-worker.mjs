// HiGHS (wasm) off the main thread (see optimal.ts): the module is loaded once per worker, then each
// message { id, lp, start, options } is solved in a fresh model and answered with { id, ok, run | error }.
import { parentPort } from "node:worker_threads";
import loadHighs from "highs";

const highsPromise = loadHighs();

function solve(highs, { lp, start, options }) {
  const started = performance.now();
  const names = Object.fromEntries(Object.entries(highs.constants.modelStatus).map(([name, code]) => [code, name]));
  const run = highs.withModel({ format: "lp", data: lp }, (model) => {
    model.options.set({ output_flag: false, ...options });
    if (start) {
      const { numCols } = model.getDimensions();
      const colValue = new Float64Array(numCols);
      for (let i = 0; i < numCols; i++) colValue[i] = start[model.getColName(i)] ?? 0;
      model.setSolution({ colValue });
    }
    model.run();
    const status = names[model.getModelStatus()] ?? "unknown";
    const hasSolution = model.info.get("primal_solution_status") === 2;
    const values = {};
    if (hasSolution) {
      const { colValue } = model.getSolution();
      for (let i = 0; i < colValue.length; i++) values[model.getColName(i)] = colValue[i];
    }
    let mipGap = null;
    try {
      const gap = Number(model.info.get("mip_gap"));
      mipGap = Number.isFinite(gap) ? gap : null;
    } catch {
      mipGap = null;
    }
    return { status, hasSolution, objective: hasSolution ? model.getObjectiveValue() : 0, mipGap, values };
  });
  return { ...run, seconds: (performance.now() - started) / 1000 };
}

parentPort.on("message", async (message) => {
  try {
    const highs = await highsPromise;
    parentPort.postMessage({ id: message.id, ok: true, run: solve(highs, message) });
  } catch (error) {
    parentPort.postMessage({
      id: message.id,
      ok: false,
      error: error instanceof Error ? error.message : String(error),
    });
  }
});
