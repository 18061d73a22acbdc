import loadHighs from "highs";

/**
 * HiGHS in this thread, without Kiln around it: the benchmark's reference for "raw HiGHS solving the
 * same LP text" (bench/allocation.ts) with the same starting solution. Kiln itself always solves in a
 * worker thread (optimal.ts, highs-worker.mjs).
 */
export async function loadRawHighs() {
  const highs = await loadHighs();
  return {
    solve(lp: string, options: { timeLimitSeconds: number; mipRelGap: number }, start?: Record<string, number>) {
      return highs.withModel({ format: "lp", data: lp }, (model) => {
        model.options.set({ output_flag: false, time_limit: options.timeLimitSeconds, mip_rel_gap: options.mipRelGap });
        if (start) {
          const { numCols } = model.getDimensions();
          const colValue = new Float64Array(numCols);
          for (let i = 0; i < numCols; i++) colValue[i] = start[model.getColName(i)] ?? 0;
          model.setSolution({ colValue });
        }
        model.run();
        return { status: model.getModelStatus(), objective: model.getObjectiveValue() };
      });
    },
  };
}
