// charts.js -- the instrument page's charts, drawn by lightweight-charts
// (the standalone build, loaded by a plain <script> as window.LightweightCharts
// from /vendor/; scripts/web-deps.sh puts it there).
//
// Candles: 1-minute bars with volume below. The library shows times as UTC,
// so bar times are shifted by +8 h to read as market time.
// Depth: cumulative quantity by price, bids and asks, on a price axis
// (the library's options chart has a numeric horizontal scale).

import { cumulative, h, num, TZ_OFFSET_S, toUnixSeconds } from './format.js';
import { t } from './i18n.js';

const UP = '#d9363e'; // red: up / buy (the market's convention)
const DOWN = '#1a9c5b'; // green: down / sell

// A "no data" note over an empty chart (an empty chart draws a made-up axis).
function emptyNote(el) {
  el.classList.add('chart-box');
  const note = h('div', { class: 'chart-empty', 'data-i18n': 'no_data' }, t('no_data'));
  el.append(note);
  return (empty) => {
    note.hidden = !empty;
  };
}

function lib() {
  const LC = window.LightweightCharts;
  if (!LC) throw new Error('lightweight-charts is not loaded (run scripts/web-deps.sh)');
  return LC;
}

const base = {
  autoSize: true,
  layout: { background: { color: '#ffffff' }, textColor: '#3c4556', fontSize: 11 },
  grid: { vertLines: { color: '#eef1f5' }, horzLines: { color: '#eef1f5' } },
  rightPriceScale: { borderColor: '#d8dde6' },
};

export class CandleChart {
  constructor(el) {
    const LC = lib();
    this.chart = LC.createChart(el, {
      ...base,
      timeScale: { borderColor: '#d8dde6', timeVisible: true, secondsVisible: false, rightOffset: 3 },
      localization: { priceFormatter: (p) => p.toFixed(2) },
    });
    this.candles = this.chart.addSeries(LC.CandlestickSeries, {
      upColor: UP, downColor: DOWN, borderUpColor: UP, borderDownColor: DOWN,
      wickUpColor: UP, wickDownColor: DOWN,
      priceFormat: { type: 'price', precision: 2, minMove: 0.01 },
    });
    this.volume = this.chart.addSeries(LC.HistogramSeries, {
      priceScaleId: 'vol', priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false,
    });
    this.chart.priceScale('vol').applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    this.setEmpty = emptyNote(el);
    this.candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.26 } });
    this.count = 0;
  }

  setBars(bars) {
    const seen = new Set();
    const rows = [];
    for (const b of bars || []) {
      const s = toUnixSeconds(b.t ?? b.time ?? b.ts);
      if (s === null) continue;
      const time = Math.floor(s) + TZ_OFFSET_S;
      if (seen.has(time)) continue;
      seen.add(time);
      rows.push({ time, open: num(b.open), high: num(b.high), low: num(b.low), close: num(b.close), volume: num(b.volume) || 0 });
    }
    rows.sort((a, b) => a.time - b.time);
    this.candles.setData(rows.map(({ volume, ...c }) => c));
    this.volume.setData(rows.map((r) => ({
      time: r.time, value: r.volume, color: r.close >= r.open ? 'rgba(217,54,62,0.45)' : 'rgba(26,156,91,0.45)',
    })));
    // Many bars: show them all; a few: keep them candle-sized, at the right.
    if (rows.length !== this.count) {
      if (rows.length >= 40) this.chart.timeScale().fitContent();
      else this.chart.timeScale().applyOptions({ barSpacing: 14 });
      this.chart.timeScale().scrollToRealTime();
    }
    this.count = rows.length;
    this.setEmpty(rows.length === 0);
    return rows.length;
  }
}

export class DepthChart {
  constructor(el) {
    const LC = lib();
    this.chart = LC.createOptionsChart(el, {
      ...base,
      timeScale: { borderColor: '#d8dde6' },
      localization: { precision: 2 }, // the horizontal (price) axis; quantities use the series' volume format
      handleScroll: false,
      handleScale: false,
    });
    const area = (color) => ({
      lineColor: color, topColor: color + '55', bottomColor: color + '08', lineWidth: 2,
      lineType: 1, // steps
      priceFormat: { type: 'volume' }, lastValueVisible: false, priceLineVisible: false,
    });
    this.bids = this.chart.addSeries(LC.AreaSeries, area(UP));
    this.asks = this.chart.addSeries(LC.AreaSeries, area(DOWN));
    this.setEmpty = emptyNote(el);
  }

  // bids best (highest) first, asks best (lowest) first, as /depth gives them.
  setDepth(bids, asks) {
    const b = cumulative(bids || []).filter((p) => p.price !== null).reverse();
    const a = cumulative(asks || []).filter((p) => p.price !== null);
    this.bids.setData(b.map((p) => ({ time: p.price, value: p.qty })));
    this.asks.setData(a.map((p) => ({ time: p.price, value: p.qty })));
    this.chart.timeScale().fitContent();
    this.setEmpty(b.length + a.length === 0);
  }
}
