/* The analyst's page: one form, five calls to the service's APIs, the answers as figures.
 *
 * No state on the server: the page calls /predict_revenue and /predict_hit (with their
 * explanations), /predict_scenarios twice (a budget sweep and the twelve release months) and
 * /comparable_films, in parallel, like any client. The form is kept in the URL's fragment, so a
 * forecast can be bookmarked or sent. A 400's `detail[].loc` names the field its message is
 * shown beside.
 */
"use strict";

(() => {
  const API = {
    revenue: "../predict_revenue",
    hit: "../predict_hit",
    scenarios: "../predict_scenarios",
    comparables: "../comparable_films",
  };
  const EXPLAIN_TOP = 10;
  // Budgets from 1/4 to 4 times the one entered, 21 of them evenly spaced on a log scale.
  const SWEEP_STEPS_PER_DOUBLING = 5;
  const SWEEP_DOUBLINGS = 2;
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const NUMBER_FIELDS = ["budget", "runtime", "popularity", "vote_average", "vote_count", "hit_threshold"];
  const LINE_LISTS = ["production_companies", "keywords"]; // names may hold commas
  const TEXT_FIELDS = ["title", "release_date", "original_language", "production_countries", ...LINE_LISTS];
  const FIELD_IDS = [...NUMBER_FIELDS, ...TEXT_FIELDS, "genres"];
  // Fields an error may name that the form spells another way.
  const FIELD_ALIASES = { vote_avg: "vote_average", log_budget: "budget", release_year: "release_date" };
  const COLORS = {
    accent: "#1f5fbf",
    band: "rgba(31, 95, 191, 0.16)",
    bar: "rgba(31, 95, 191, 0.28)",
    barBase: "rgba(31, 95, 191, 0.55)",
    hit: "#d97706",
    threshold: "#6b7280",
    positive: "#1b7f4b",
    negative: "#b42318",
    other: "#9aa3b2",
  };

  const $ = (id) => document.getElementById(id);
  let settings = null;
  let submission = 0; // answers to an older submission are dropped
  let lastComparables = null;
  let lastExplanations = null;
  const charts = {};

  // -- number formats (tests/helpers/browser.py formats the API's answers the same way) ------
  const fixed = (digits) =>
    new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const F1 = fixed(1);
  const F2 = fixed(2);
  const F3 = fixed(3);
  /** US dollars in millions: "$421.7M" ("$0.012M" under $100,000). */
  const usd = (value) => "$" + (Math.abs(value) < 1e5 ? F3 : F1).format(value / 1e6) + "M";
  const percent = (p) => F1.format(p * 100) + "%";
  const times = (ratio) => F2.format(ratio) + "×";
  const signed = (value) => (value >= 0 ? "+" : "") + F3.format(value);
  const millions = (value) => value / 1e6;

  // -- the form ------------------------------------------------------------------------------
  function buildGenres() {
    const list = $("genre-list");
    for (const genre of settings.genres) {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.name = "genres";
      box.value = genre;
      box.id = "genre-" + genre.replace(/\W+/g, "-");
      label.append(box, " " + genre);
      list.append(label);
    }
  }

  function lines(text) {
    return text.split("\n").map((s) => s.trim()).filter(Boolean);
  }

  /** The film as the API takes it, from the form; and the inputs the browser could not read. */
  function readFilm() {
    const film = {};
    const unreadable = [];
    const title = $("title").value.trim();
    if (title) film.title = title;
    for (const name of NUMBER_FIELDS) {
      const input = $(name);
      if (input.validity.badInput) {
        unreadable.push({ field: name, msg: "Enter a number" });
      } else if (input.value.trim() !== "") {
        const value = Number(input.value);
        if (!Number.isFinite(value)) unreadable.push({ field: name, msg: "Enter a number" });
        // The budget is typed in millions; 12 significant digits drop the float noise of * 1e6.
        else film[name] = name === "budget" ? Number((value * 1e6).toPrecision(12)) : value;
      }
    }
    const genres = [...document.querySelectorAll("#genre-list input:checked")].map((b) => b.value);
    if (genres.length) film.genres = genres;
    if ($("release_date").validity.badInput) {
      unreadable.push({ field: "release_date", msg: "Enter a complete date" });
    } else if ($("release_date").value) {
      film.release_date = $("release_date").value;
    }
    const language = $("original_language").value.trim();
    if (language) film.original_language = language;
    for (const name of LINE_LISTS) {
      const items = lines($(name).value);
      if (items.length) film[name] = items;
    }
    const countries = $("production_countries").value.split(/[\s,;]+/).filter(Boolean);
    if (countries.length) film.production_countries = countries;
    return { film, unreadable };
  }

  /** The form's fields as typed, for the URL's fragment. */
  function formState() {
    const state = new URLSearchParams();
    for (const name of [...NUMBER_FIELDS, ...TEXT_FIELDS]) {
      const value = $(name).value;
      if (value.trim() !== "") state.set(name, value);
    }
    const genres = [...document.querySelectorAll("#genre-list input:checked")].map((b) => b.value);
    if (genres.length) state.set("genres", genres.join(","));
    return state;
  }

  function fillForm(values) {
    $("film-form").reset();
    for (const name of [...NUMBER_FIELDS, ...TEXT_FIELDS]) {
      if (values[name] !== undefined) $(name).value = values[name];
    }
    const genres = new Set(values.genres ? values.genres.split(",") : []);
    for (const box of document.querySelectorAll("#genre-list input")) box.checked = genres.has(box.value);
    const postRelease = ["popularity", "vote_average", "vote_count"].some((n) => values[n] !== undefined);
    $("post-release").open = postRelease;
    $("verdict-options").open = values.hit_threshold !== undefined;
  }

  function fillExample() {
    const film = settings.example;
    const values = {};
    for (const [name, value] of Object.entries(film)) {
      if (name === "budget") values.budget = String(value / 1e6);
      else if (name === "genres") values.genres = value.join(",");
      else if (LINE_LISTS.includes(name)) values[name] = value.join("\n");
      else if (name === "production_countries") values[name] = value.join(", ");
      else values[name] = String(value);
    }
    fillForm(values);
    clearErrors();
    $("submit").focus();
  }

  // -- errors ---------------------------------------------------------------------------------
  function clearErrors() {
    for (const element of document.querySelectorAll(".field-error, .panel-error, #form-error, #general-error")) {
      element.hidden = true;
      element.textContent = "";
    }
    for (const element of document.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
  }

  function showFieldError(field, msg) {
    const box = $(field + "-error");
    box.textContent = box.textContent ? box.textContent + " " + msg : msg;
    box.hidden = false;
    $(field).setAttribute("aria-invalid", "true");
    if (field === "vote_average" || field === "popularity" || field === "vote_count") $("post-release").open = true;
    if (field === "hit_threshold") $("verdict-options").open = true;
  }

  function showFormError(msg) {
    const box = $("form-error");
    box.textContent = box.textContent ? box.textContent + " " + msg : msg;
    box.hidden = false;
  }

  const cleanMessage = (msg) => msg.replace(/^Value error, /, "");

  /** Where a 400's error belongs: a field of the form, the film as a whole, or a scenario. */
  function placeError(error, kind) {
    let loc = error.loc || [];
    if (kind === "scenarios") {
      if (loc[0] === "scenarios") return { scenario: true };
      if (loc[0] === "film") loc = loc.slice(1);
    }
    const msg = cleanMessage(error.msg);
    if (loc.length === 0) {
      // A rule across fields: beside the first field it names, if the form has it.
      for (const match of msg.matchAll(/'(\w+)'/g)) {
        const field = FIELD_ALIASES[match[1]] || match[1];
        if (FIELD_IDS.includes(field)) return { field, msg };
      }
      return { field: null, msg };
    }
    const field = FIELD_ALIASES[loc[0]] || loc[0];
    const item = typeof loc[1] === "number" ? `item ${loc[1] + 1}: ` : "";
    return { field: FIELD_IDS.includes(field) ? field : null, msg: item + msg, loc };
  }

  /** Every field error of the 400 answers, once each; true when there was any. */
  function showValidationErrors(answers) {
    const seen = new Set();
    let any = false;
    for (const [kind, answer] of answers) {
      if (!answer || answer.status !== 400 || !Array.isArray(answer.body && answer.body.detail)) continue;
      for (const error of answer.body.detail) {
        const placed = placeError(error, kind);
        if (placed.scenario) continue; // the page made the scenarios: said on their chart
        const key = placed.field + "|" + placed.msg;
        if (seen.has(key)) continue;
        seen.add(key);
        any = true;
        if (placed.field) showFieldError(placed.field, placed.msg);
        else showFormError((placed.loc ? placed.loc.join(".") + ": " : "") + placed.msg);
      }
    }
    return any;
  }

  function describeFailure(answer) {
    if (answer.status === 0) return "the service could not be reached (" + answer.error + ")";
    const body = answer.body;
    let text = body && body.error ? body.error : Array.isArray(body) && body[0] && body[0].error ? body[0].error : "";
    if (body && Array.isArray(body.detail)) text += ": " + body.detail.map((e) => cleanMessage(e.msg)).join("; ");
    return `HTTP ${answer.status}${text ? " " + text : ""}`;
  }

  // -- calls ----------------------------------------------------------------------------------
  /** POST a JSON body; never throws: {ok, status, body} or {status: 0, error}. */
  async function post(url, body) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
      let parsed = null;
      try {
        parsed = await response.json();
      } catch (_) {
        parsed = null;
      }
      return { ok: response.ok, status: response.status, body: parsed };
    } catch (error) {
      return { ok: false, status: 0, body: null, error: String(error) };
    }
  }

  function sweepBudgets(budget) {
    if (!(typeof budget === "number" && budget > 0)) return [];
    const budgets = [];
    const steps = SWEEP_STEPS_PER_DOUBLING * SWEEP_DOUBLINGS;
    for (let i = -steps; i <= steps; i++) {
      const value = i === 0 ? budget : Number((budget * 2 ** (i / SWEEP_STEPS_PER_DOUBLING)).toPrecision(4));
      if (value > 0 && value <= settings.max_budget_usd) budgets.push(value);
    }
    return budgets;
  }

  function monthDates(date) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date || "");
    if (!match) return [];
    const [year, day] = [Number(match[1]), Number(match[3])];
    return MONTHS.map((_, m) => {
      const last = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
      return `${match[1]}-${String(m + 1).padStart(2, "0")}-${String(Math.min(day, last)).padStart(2, "0")}`;
    });
  }

  function setStatus(text) {
    $("status").textContent = text;
  }

  async function forecast() {
    const current = ++submission;
    clearErrors();
    $("general-error").hidden = true;
    const { film, unreadable } = readFilm();
    if (unreadable.length) {
      for (const { field, msg } of unreadable) showFieldError(field, msg);
      setStatus("Fix the fields marked in red.");
      return;
    }
    const results = $("results");
    results.dataset.state = "loading";
    results.setAttribute("aria-busy", "true");
    $("submit").disabled = true;
    setStatus("Forecasting…");
    const started = performance.now();

    const explained = { ...film, explain: true, explain_top: EXPLAIN_TOP };
    const budgets = sweepBudgets(film.budget);
    const dates = monthDates(film.release_date);
    // A bad film gets its errors from every call: the sweep then only carries the film.
    const sweepScenarios = budgets.length ? budgets.map((budget) => ({ budget })) : [{}];
    const [revenue, hit, sweep, months, comparables] = await Promise.all([
      post(API.revenue, explained),
      post(API.hit, explained),
      post(API.scenarios, { film, scenarios: sweepScenarios }),
      dates.length ? post(API.scenarios, { film, scenarios: dates.map((d) => ({ release_date: d })) }) : null,
      post(API.comparables, { ...film, k: settings.comparables_k }),
    ]);
    if (current !== submission) return;
    $("submit").disabled = false;
    results.removeAttribute("aria-busy");

    const answers = [["film", revenue], ["film", hit], ["scenarios", sweep], ["scenarios", months], ["film", comparables]];
    if (showValidationErrors(answers)) {
      $("answer").hidden = true;
      $("placeholder").hidden = false;
      results.dataset.state = "invalid";
      setStatus("Fix the fields marked in red.");
      const first = document.querySelector("[aria-invalid='true']");
      if (first) (first.tagName === "FIELDSET" ? first.querySelector("input") : first).focus();
      return;
    }
    const failed = [
      ["revenue forecast", revenue],
      ["hit forecast", hit],
      ["comparable films", comparables],
    ].filter(([, answer]) => !answer.ok);
    if (failed.length) {
      const general = $("general-error");
      general.textContent = failed.map(([what, answer]) => `The ${what}: ${describeFailure(answer)}.`).join(" ");
      general.hidden = false;
    }
    if (!revenue.ok || !hit.ok) {
      $("answer").hidden = true;
      results.dataset.state = "failed";
      setStatus("The service did not answer.");
      return;
    }
    $("placeholder").hidden = true;
    $("answer").hidden = false;
    render({ film, explained, revenue: revenue.body, hit: hit.body, budgets, dates, sweep, months, comparables });
    history.replaceState(null, "", "#" + formState().toString());
    results.dataset.state = "done";
    setStatus(`Answered in ${Math.round(performance.now() - started)} ms.`);
  }

  // -- rendering ------------------------------------------------------------------------------
  function setFigure(id, text, value) {
    const element = $(id);
    element.textContent = text;
    if (value !== undefined) element.dataset.value = String(value);
  }

  function render(state) {
    const { film, revenue, hit } = state;
    setFigure("revenue", usd(revenue.revenue_usd), revenue.revenue_usd);
    setFigure("revenue-p10", usd(revenue.revenue_p10_usd), revenue.revenue_p10_usd);
    setFigure("revenue-p90", usd(revenue.revenue_p90_usd), revenue.revenue_p90_usd);
    $("revenue-multiple").textContent = film.budget > 0 ? `${times(revenue.revenue_usd / film.budget)} the budget` : "";
    const newest = revenue.dollars_year - revenue.horizon_years;
    $("revenue-when").textContent =
      `In ${revenue.dollars_year} dollars. ` +
      (revenue.horizon_years > 0
        ? `${revenue.horizon_years} year${revenue.horizon_years === 1 ? "" : "s"} after the newest film the models learned from (${newest}): the range is widened for it.`
        : `Within the years the models learned from (the newest film: ${newest}).`);
    $("revenue-when").dataset.dollarsYear = revenue.dollars_year;
    $("revenue-when").dataset.horizonYears = revenue.horizon_years;

    setFigure("probability", percent(hit.probability), hit.probability);
    setFigure("threshold", percent(hit.threshold), hit.threshold);
    const verdict = $("verdict");
    verdict.textContent = hit.is_hit ? "Hit" : "Not a hit";
    verdict.className = "verdict " + (hit.is_hit ? "hit" : "miss");
    $("gauge-fill").style.width = (hit.probability * 100).toFixed(2) + "%";
    $("gauge-mark").style.left = `calc(${(hit.threshold * 100).toFixed(2)}% - 1px)`;
    $("gauge").setAttribute("aria-label", `P(hit) ${percent(hit.probability)} against the threshold ${percent(hit.threshold)}`);

    const modelName = revenue.model === "post_release" ? "post-release" : "pre-release";
    $("model-line").textContent = `Answered by the ${modelName} models: ${revenue.model_version}, ${hit.model_version}.`;

    const warnings = [...new Set([...revenue.warnings, ...hit.warnings])];
    $("warnings").replaceChildren(
      ...warnings.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      })
    );
    $("warnings-panel").hidden = warnings.length === 0;

    lastExplanations = { revenue: revenue.explanation, hit: hit.explanation };
    renderContributions();
    renderSweep(state);
    renderMonths(state);
    lastComparables = state.comparables.ok ? state.comparables.body : null;
    if (!state.comparables.ok) {
      $("comps-error").textContent = "Not available: " + describeFailure(state.comparables);
      $("comps-error").hidden = false;
    }
    renderComparables();
    $("request-json").textContent = JSON.stringify(state.explained, null, 2);
  }

  function table(id, headers, rows, baseIndex) {
    const head = document.createElement("tr");
    for (const text of headers) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = text;
      head.append(th);
    }
    const thead = document.createElement("thead");
    thead.append(head);
    const tbody = document.createElement("tbody");
    rows.forEach((cells, i) => {
      const tr = document.createElement("tr");
      if (i === baseIndex) tr.className = "base";
      for (const cell of cells) {
        const td = document.createElement("td");
        if (cell && typeof cell === "object") {
          td.textContent = cell.text;
          if (cell.className) td.className = cell.className;
        } else {
          td.textContent = cell;
        }
        tr.append(td);
      }
      tbody.append(tr);
    });
    $(id).replaceChildren(thead, tbody);
  }

  function dropChart(id) {
    if (charts[id]) charts[id].destroy();
    delete charts[id];
  }

  function chart(id, config) {
    dropChart(id);
    charts[id] = new Chart($(id), config);
  }

  /** A vertical line at the film as entered (its budget, its month). */
  const markerPlugin = {
    id: "marker",
    afterDatasetsDraw(instance, _args, options) {
      if (options.value === undefined || options.value === null) return;
      const x = instance.scales.x.getPixelForValue(options.value);
      const { top, bottom } = instance.chartArea;
      const context = instance.ctx;
      context.save();
      context.strokeStyle = COLORS.threshold;
      context.setLineDash([4, 4]);
      context.beginPath();
      context.moveTo(x, top);
      context.lineTo(x, bottom);
      context.stroke();
      context.restore();
    },
  };

  const moneyTick = (value) => "$" + Number(value).toLocaleString("en-US") + "M";
  const logTick = (value) => {
    const digits = Number(value).toPrecision(1);
    return /^[125]/.test(digits) && Number(digits) === Number(value) ? moneyTick(value) : "";
  };

  function scenarioNote(answer, base, count, what) {
    const extra = answer.scenarios.filter((s) => s.warnings.some((w) => !base.warnings.includes(w)));
    return extra.length
      ? `${extra.length} of ${count} ${what} carry warnings the film itself does not (see the data), e.g. “${extra[0].warnings.find((w) => !base.warnings.includes(w))}”.`
      : "";
  }

  /** The legend of a chart whose 80% range is filled between its P90 and P10 lines. */
  function bandLegend(instance) {
    return Chart.defaults.plugins.legend.labels
      .generateLabels(instance)
      .filter((item) => item.text !== "P90")
      .map((item) => (item.text === "P10" ? { ...item, text: "80% range" } : item));
  }

  function hitAxis() {
    return {
      position: "right",
      min: 0,
      max: 1,
      grid: { drawOnChartArea: false },
      title: { display: true, text: "P(hit)" },
      ticks: { callback: (v) => Math.round(v * 100) + "%" },
    };
  }

  function tooltipLabel(item) {
    const value = item.raw && typeof item.raw === "object" && "y" in item.raw ? item.raw.y : item.raw;
    if (item.dataset.yAxisID === "y2") return `${item.dataset.label}: ${percent(value)}`;
    if (Array.isArray(value)) return `${item.dataset.label}: ${usd(value[0] * 1e6)} to ${usd(value[1] * 1e6)}`;
    return `${item.dataset.label}: ${usd(value * 1e6)}`;
  }

  // A chart panel without its figures: its message, and nothing left of an earlier forecast.
  function unavailable(panel, message) {
    const error = $(`${panel}-error`);
    error.textContent = message;
    error.hidden = false;
    $(`${panel}-caption`).textContent = "";
    $(`${panel}-table`).replaceChildren();
    $(`${panel}-note`).textContent = "";
    dropChart(`${panel}-chart`);
  }

  function renderSweep(state) {
    const { sweep, budgets, film } = state;
    if (!sweep.ok || !budgets.length) {
      unavailable("sweep", "Not available: " + describeFailure(sweep));
      return;
    }
    const points = sweep.body.scenarios;
    const threshold = state.hit.threshold;
    const at = (key) => points.map((p, i) => ({ x: millions(budgets[i]), y: key === "probability" ? p[key] : millions(p[key]) }));
    $("sweep-caption").textContent = `${points.length} budgets, ${times(budgets[0] / film.budget)} to ${times(budgets[budgets.length - 1] / film.budget)} the film's, in ${points[0].dollars_year} dollars`;
    chart("sweep-chart", {
      type: "line",
      data: {
        datasets: [
          { label: "P90", data: at("revenue_p90_usd"), borderWidth: 0, pointRadius: 0, fill: false, yAxisID: "y" },
          { label: "P10", data: at("revenue_p10_usd"), borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: COLORS.band, yAxisID: "y" },
          { label: "Revenue forecast", data: at("revenue_usd"), borderColor: COLORS.accent, backgroundColor: COLORS.accent, pointRadius: 2, yAxisID: "y" },
          { label: "P(hit)", data: at("probability"), borderColor: COLORS.hit, backgroundColor: COLORS.hit, pointRadius: 2, yAxisID: "y2" },
          {
            label: "Verdict threshold",
            data: [{ x: millions(budgets[0]), y: threshold }, { x: millions(budgets[budgets.length - 1]), y: threshold }],
            borderColor: COLORS.threshold, borderDash: [6, 4], borderWidth: 1, pointRadius: 0, yAxisID: "y2",
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        plugins: {
          marker: { value: millions(film.budget) },
          legend: { labels: { generateLabels: bandLegend, boxWidth: 12 } },
          tooltip: { callbacks: { title: (items) => "Budget " + usd(items[0].parsed.x * 1e6), label: tooltipLabel } },
        },
        scales: {
          x: { type: "logarithmic", title: { display: true, text: "Budget (US$ millions, log scale)" }, ticks: { callback: logTick, autoSkip: false, maxRotation: 0 } },
          y: { type: "logarithmic", title: { display: true, text: "Revenue (US$ millions, log scale)" }, ticks: { callback: logTick, autoSkip: false } },
          y2: hitAxis(),
        },
      },
      plugins: [markerPlugin],
    });
    const base = budgets.indexOf(film.budget);
    table(
      "sweep-table",
      ["Budget", "Revenue", "P10", "P90", "P(hit)", "Verdict", "Warnings"],
      points.map((p, i) => [
        usd(budgets[i]), usd(p.revenue_usd), usd(p.revenue_p10_usd), usd(p.revenue_p90_usd), percent(p.probability),
        { text: p.is_hit ? "Hit" : "Not a hit", className: p.is_hit ? "yes" : "no" }, String(p.warnings.length),
      ]),
      base
    );
    $("sweep-note").textContent =
      "The 80% range is shaded; the dashed line is the budget entered. " + scenarioNote(sweep.body, sweep.body.base, points.length, "budgets");
  }

  function renderMonths(state) {
    const { months, dates, film } = state;
    if (!dates.length) {
      unavailable("months", "Give a release date to compare the twelve months of its year.");
      return;
    }
    if (!months.ok) {
      unavailable("months", "Not available: " + describeFailure(months));
      return;
    }
    const points = months.body.scenarios;
    const entered = Number(film.release_date.slice(5, 7)) - 1;
    $("months-caption").textContent = `the 12 months of ${film.release_date.slice(0, 4)}, in ${points[0].dollars_year} dollars`;
    chart("months-chart", {
      type: "bar",
      data: {
        labels: MONTHS,
        datasets: [
          { type: "line", label: "Revenue forecast", data: points.map((p) => millions(p.revenue_usd)), borderColor: COLORS.accent, backgroundColor: COLORS.accent, pointRadius: 3, yAxisID: "y", order: 0 },
          { type: "line", label: "P(hit)", data: points.map((p) => p.probability), borderColor: COLORS.hit, backgroundColor: COLORS.hit, pointRadius: 2, yAxisID: "y2", order: 1 },
          { type: "line", label: "Verdict threshold", data: points.map(() => state.hit.threshold), borderColor: COLORS.threshold, borderDash: [6, 4], borderWidth: 1, pointRadius: 0, yAxisID: "y2", order: 2 },
          {
            type: "bar", label: "80% range", data: points.map((p) => [millions(p.revenue_p10_usd), millions(p.revenue_p90_usd)]),
            backgroundColor: points.map((_, i) => (i === entered ? COLORS.barBase : COLORS.bar)), yAxisID: "y", order: 3,
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { labels: { boxWidth: 12 } }, tooltip: { callbacks: { label: tooltipLabel } } },
        scales: {
          x: {
            title: { display: true, text: `Release month (${film.release_date.slice(0, 4)}); the darker bar is the date entered` },
            ticks: { maxRotation: 0, autoSkip: false },
          },
          y: { type: "logarithmic", title: { display: true, text: "Revenue (US$ millions, log scale)" }, ticks: { callback: logTick, autoSkip: false } },
          y2: hitAxis(),
        },
      },
    });
    table(
      "months-table",
      ["Release date", "Revenue", "P10", "P90", "P(hit)", "Verdict"],
      points.map((p, i) => [
        dates[i], usd(p.revenue_usd), usd(p.revenue_p10_usd), usd(p.revenue_p90_usd), percent(p.probability),
        { text: p.is_hit ? "Hit" : "Not a hit", className: p.is_hit ? "yes" : "no" },
      ]),
      entered
    );
    $("months-note").textContent = scenarioNote(months.body, months.body.base, points.length, "months");
  }

  function renderContributions() {
    if (!lastExplanations) return;
    const which = document.querySelector("input[name='explained']:checked").value;
    const explanation = lastExplanations[which];
    const items = explanation.contributions;
    const revenue = which === "revenue";
    const axis = revenue ? "Contribution to log(1 + revenue)" : `Contribution to the hit model's ${explanation.units}`;
    chart("contributions-chart", {
      type: "bar",
      data: {
        labels: items.map((c) => c.feature),
        datasets: [
          {
            label: axis,
            data: items.map((c) => c.contribution),
            backgroundColor: items.map((c) => (c.feature === "other" ? COLORS.other : c.contribution >= 0 ? COLORS.positive : COLORS.negative)),
          },
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        indexAxis: "y",
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) =>
                revenue ? `${signed(item.raw)} (revenue ${times(Math.exp(item.raw))})` : `${signed(item.raw)} ${explanation.units}`,
            },
          },
        },
        scales: { x: { title: { display: true, text: axis } }, y: { ticks: { autoSkip: false } } },
      },
    });
    table(
      "contributions-table",
      revenue ? ["Feature", "Contribution", "Effect on revenue"] : ["Feature", "Contribution"],
      items.map((c) => (revenue ? [c.feature, signed(c.contribution), times(Math.exp(c.contribution))] : [c.feature, signed(c.contribution)]))
    );
    $("contributions-note").textContent =
      `The ${items.length - (items.some((c) => c.feature === "other") ? 1 : 0)} largest contributions, largest first ("other" sums the rest): ` +
      `base ${F3.format(explanation.base)} + contributions = ${F3.format(explanation.output)} ${explanation.units}` +
      (revenue ? "; a contribution c multiplies the revenue by e^c." : ", before calibration.") +
      ` Method: ${explanation.method}.`;
  }

  function renderComparables() {
    const answer = lastComparables;
    if (!answer) {
      $("comps-table").replaceChildren();
      $("comps-median").textContent = "–";
      return;
    }
    const constant = $("constant-dollars").checked;
    $("constant-year").textContent = answer.constant_dollars_year;
    setFigure("comps-median", usd(answer.median_revenue_usd), answer.median_revenue_usd);
    $("comps-count").textContent = String(answer.films.length);
    $("comps-note").textContent =
      "In their own years' dollars." +
      (answer.backtest_r2 === null || answer.backtest_r2 === undefined
        ? ""
        : ` As a forecast of later films, the median of ${answer.k} comps scored R² ${F2.format(answer.backtest_r2)} (forward backtest).`);
    const dollars = constant ? ` (${answer.constant_dollars_year} $)` : "";
    table(
      "comps-table",
      ["Title", "Year", "Genres", "Budget" + dollars, "Revenue" + dollars, "Revenue / budget", "Hit", "Similarity"],
      answer.films.map((f) => [
        { text: f.title, className: "title" },
        String(f.release_year),
        { text: f.genres.join(", "), className: "genres" },
        usd(constant ? f.budget_usd_constant : f.budget_usd),
        usd(constant ? f.revenue_usd_constant : f.revenue_usd),
        times(f.revenue_to_budget),
        { text: f.is_hit ? "Hit" : "No", className: f.is_hit ? "yes" : "no" },
        F3.format(f.similarity),
      ])
    );
    $("comps-footnote").textContent =
      `The ${answer.films.length} films of the training data nearest to this one on what is known before release, most similar first ` +
      `(similarity 1 / (1 + distance)). Budgets and revenues in ${constant ? answer.constant_dollars_year + " dollars (CPI-U)" : "their release year's dollars"}; ` +
      `${answer.comparables_version}.`;
  }

  // -- start ----------------------------------------------------------------------------------
  async function start() {
    const response = await fetch("settings.json");
    settings = await response.json();
    buildGenres();
    const form = $("film-form");
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      forecast();
    });
    $("clear").addEventListener("click", () => {
      clearErrors();
      history.replaceState(null, "", location.pathname + location.search);
    });
    $("example").addEventListener("click", fillExample);
    for (const radio of document.querySelectorAll("input[name='explained']")) radio.addEventListener("change", renderContributions);
    $("constant-dollars").addEventListener("change", renderComparables);
    // Errors go once the field is edited.
    form.addEventListener("input", (event) => {
      const field = event.target.closest("[aria-invalid='true']") || (event.target.name === "genres" && $("genres"));
      if (!field) return;
      field.removeAttribute("aria-invalid");
      const box = $(field.id + "-error");
      if (box) box.hidden = true;
    });
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#5b6476";
    document.body.dataset.ready = "true";
    performance.mark("ui-ready");
    if (location.hash.length > 1) {
      fillForm(Object.fromEntries(new URLSearchParams(location.hash.slice(1))));
      forecast();
    }
  }

  start().catch((error) => {
    const box = $("general-error");
    box.textContent = "The page could not start: " + error;
    box.hidden = false;
  });
})();
