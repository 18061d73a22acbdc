/** Writes a trained model's files: `<dir>/<version>.onnx`, `<version>.card.json` and `<version>.md`. Server-only. */
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type { TrainedModel } from "./train-model.js";

export interface ModelFiles {
  onnx: string;
  card: string;
  markdown: string;
}

export async function writeModelFiles(
  dir: string,
  trained: Pick<TrainedModel, "version" | "onnx" | "card" | "markdown">,
): Promise<ModelFiles> {
  await mkdir(dir, { recursive: true });
  const files: ModelFiles = {
    onnx: path.join(dir, `${trained.version}.onnx`),
    card: path.join(dir, `${trained.version}.card.json`),
    markdown: path.join(dir, `${trained.version}.md`),
  };
  // Card and Markdown first, the ONNX file last: a reader that finds the model finds its card.
  // Each file is written under a temporary name and renamed, so no reader sees half a file.
  const write = async (file: string, data: string | Uint8Array) => {
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, file);
  };
  await write(files.card, `${JSON.stringify(trained.card, null, 2)}\n`);
  await write(files.markdown, trained.markdown);
  await write(files.onnx, trained.onnx);
  return files;
}
