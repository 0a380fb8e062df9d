/**
 * The lifecycle stages, in pipeline order: one source for the nav, the home page and the
 * placeholder pages of stages that have not landed yet.
 */

/** One stage of the pipeline. */
export interface Stage {
  id: string;
  title: string;
  path: string;
  /** One line: what a person does here. */
  summary: string;
  /** What the page will offer, for stages still being built. */
  plans: string[];
  /** False while the stage's page only describes what it will do. */
  available: boolean;
  icon: string;
}

/** The stages, in the order work flows through them. */
export const STAGES: Stage[] = [
  {
    id: "configs",
    title: "Config Setup",
    path: "/configs",
    icon: "⚙",
    summary: "Choose a task and model, set data paths and training parameters — no YAML.",
    plans: [
      "Form for the five tasks with model-aware defaults and live validation",
      "Import and export the accelerator's YAML files",
      "Immutable versions, side-by-side diffs, restore and activate",
    ],
    available: true,
  },
  {
    id: "data",
    title: "Data EDA",
    path: "/data",
    icon: "▦",
    summary: "Scan a dataset: statistics, charts, and every annotation problem located.",
    plans: [
      "COCO, COCO panoptic, ImageFolder and mask datasets from a volume",
      "Class balance, box sizes, image sizes, location heatmaps",
      "Validation that lists each problem with a link to the image",
    ],
    available: true,
  },
  {
    id: "training",
    title: "Training",
    path: "/training",
    icon: "▶",
    summary: "Launch on a Databricks GPU cluster or locally and watch it live.",
    plans: [
      "One-click launch with compute choices and a preview of what will run",
      "Live loss and metric charts, logs, cancel and resume",
    ],
    available: true,
  },
  {
    id: "evaluation",
    title: "Evaluation",
    path: "/evaluation",
    icon: "◎",
    summary: "Exact COCO mAP, mIoU, PQ and classification metrics; compare runs.",
    plans: [
      "Per-class tables, PR curves, confusion matrices you can click into",
      "Recommended confidence threshold; HTML/Markdown/CSV reports",
    ],
    available: true,
  },
  {
    id: "models",
    title: "Model Registry",
    path: "/models",
    icon: "◆",
    summary: "Register trained models to Unity Catalog with versions and aliases.",
    plans: ["Versions, aliases (champion/challenger), tags and lineage to the run"],
    available: true,
  },
  {
    id: "deployments",
    title: "Deployment",
    path: "/deployments",
    icon: "⇪",
    summary: "Serve a registered model on a Model Serving endpoint.",
    plans: ["Create and update endpoints, traffic split, scale to zero, health"],
    available: true,
  },
  {
    id: "inference",
    title: "Inference Playground",
    path: "/inference",
    icon: "✦",
    summary: "Try a model on your images, in the browser or against an endpoint.",
    plans: ["In-browser ONNX (WASM / WebGPU) and endpoint calls with overlays"],
    available: true,
  },
  {
    id: "history",
    title: "History",
    path: "/history",
    icon: "☰",
    summary: "Everything that happened: who did what, when, to which config, run or model.",
    plans: [],
    available: true,
  },
];

/** The stage with this id. */
export function stage(id: string): Stage {
  const s = STAGES.find((s) => s.id === id);
  if (!s) throw new Error(`Unknown stage ${id}`);
  return s;
}
