/**
 * chart.js with every controller, element and scale the pages use registered once, so each
 * chart component imports a ready `Chart` instead of repeating the registration.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  type Plugin,
  PointElement,
  ScatterController,
  Tooltip,
} from "chart.js";

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  CategoryScale,
  LinearScale,
  LogarithmicScale,
  Tooltip,
  Legend,
);

/** True when the page renders in the dark theme (`data-theme` on the app shell). */
const dark = typeof document !== "undefined" &&
  document.querySelector("[data-theme]")?.getAttribute("data-theme") === "dark";
if (dark) {
  // axis labels, legends and grid lines readable on the dark surfaces (slate-300 / slate-600)
  Chart.defaults.color = "#cbd5e1";
  Chart.defaults.borderColor = "rgba(71, 85, 105, 0.6)";
}

export { Chart };

/**
 * Paints the card's background behind the chart so downloaded PNGs are not transparent (white,
 * or slate-900 in the dark theme, matching what the person sees).
 */
export const whiteBackground: Plugin = {
  id: "lvWhite",
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.globalCompositeOperation = "destination-over";
    ctx.fillStyle = dark ? "#0f172a" : "#ffffff";
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};
