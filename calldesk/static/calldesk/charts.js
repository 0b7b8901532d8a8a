// Small SVG bar charts for the dashboards: no library, no CDN, nothing inline (the CSP
// allows scripts and styles from this site only). Values are drawn as text nodes, never markup.
"use strict";

const CalldeskCharts = (() => {
  const SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  // Vertical columns along a time axis (hours, days).
  function columns(chart) {
    const width = 460, height = 200, left = 30, bottom = 30, top = 12;
    const n = chart.values.length, max = Math.max(1, ...chart.values);
    const slot = (width - left - 8) / Math.max(1, n);
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": chart.title });
    const plot = height - bottom - top;
    svg.appendChild(el("line", { class: "axis", x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
    svg.appendChild(el("text", { x: left - 4, y: top + 8, "text-anchor": "end" }, max));
    svg.appendChild(el("text", { x: left - 4, y: height - bottom, "text-anchor": "end" }, 0));
    const every = Math.ceil(n / 12);
    chart.values.forEach((value, i) => {
      const h = (value / max) * plot;
      const bar = el("rect", {
        class: "bar", x: left + i * slot + 1, y: height - bottom - h,
        width: Math.max(1, slot - 2), height: h, "data-label": chart.labels[i], "data-value": value,
      });
      bar.appendChild(el("title", {}, `${chart.labels[i]}: ${value}`));
      svg.appendChild(bar);
      if (i % every === 0) {
        const label = chart.labels[i].length > 5 ? chart.labels[i].slice(5) : chart.labels[i];
        svg.appendChild(el("text", { x: left + i * slot + slot / 2, y: height - bottom + 14, "text-anchor": "middle" }, label));
      }
    });
    return svg;
  }

  // Horizontal bars for categories (agents, choices, outcomes).
  function bars(chart) {
    const rowHeight = 22, labelWidth = 150, width = 460, valueWidth = 44;
    const n = chart.values.length, max = Math.max(1, ...chart.values);
    const height = Math.max(1, n) * rowHeight + 8;
    const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": chart.title });
    chart.values.forEach((value, i) => {
      const y = 4 + i * rowHeight;
      const label = chart.labels[i];
      svg.appendChild(el("text", { x: labelWidth - 6, y: y + 15, "text-anchor": "end" }, label.length > 24 ? label.slice(0, 23) + "…" : label));
      const w = (value / max) * (width - labelWidth - valueWidth);
      const bar = el("rect", {
        class: "bar", x: labelWidth, y: y + 3, width: Math.max(value ? 2 : 0, w), height: rowHeight - 6,
        "data-label": label, "data-value": value,
      });
      bar.appendChild(el("title", {}, `${label}: ${value}`));
      svg.appendChild(bar);
      svg.appendChild(el("text", { x: labelWidth + w + 4, y: y + 15 }, value));
    });
    return svg;
  }

  function draw(chart) {
    return chart.kind === "columns" ? columns(chart) : bars(chart);
  }

  return { draw };
})();
