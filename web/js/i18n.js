// i18n.js -- Chinese and English labels for the dashboard.
//
// Static text carries data-i18n="key" (text) or data-i18n-ph="key"
// (placeholder); scripts call t(key) for what they build. The language is a
// toggle in the header, remembered in localStorage; the first visit follows
// the browser's language.

const LABELS = {
  brand: ['全国碳排放权交易市场', 'National Carbon Emission Trading'],
  nav_market: ['行情', 'Market'],
  nav_account: ['账户', 'Account'],
  nav_operator: ['运营', 'Operator'],
  login: ['登录', 'Log in'],
  logout: ['退出', 'Log out'],
  username: ['用户名', 'User name'],
  password: ['密码', 'Password'],
  login_title: ['登录交易账户', 'Log in to your account'],
  logged_in_as: ['用户', 'User'],
  live: ['实时', 'Live'],
  polling: ['轮询', 'Polling'],

  market_overview: ['市场行情', 'Market overview'],
  trading_date: ['交易日', 'Trading date'],
  session: ['交易状态', 'Session'],
  session_open: ['交易中', 'Open'],
  session_closed: ['休市', 'Closed'],
  session_halted: ['暂停', 'Halted'],
  status_open: ['正常', 'Open'],
  status_halted: ['停牌', 'Halted'],
  composite: ['综合价格', 'Composite price'],
  instrument: ['交易品种', 'Instrument'],
  code: ['代码', 'Code'],
  product: ['产品', 'Product'],
  matching: ['交易方式', 'Matching'],
  matching_listing: ['挂牌协议', 'Listing'],
  matching_continuous: ['连续竞价', 'Continuous'],
  status: ['状态', 'Status'],
  last: ['最新价', 'Last'],
  prev_close: ['昨收', 'Prev. close'],
  open: ['开盘', 'Open'],
  high: ['最高', 'High'],
  low: ['最低', 'Low'],
  close: ['收盘', 'Close'],
  change: ['涨跌幅', 'Change'],
  volume: ['成交量', 'Volume'],
  turnover: ['成交额', 'Turnover'],
  trades_count: ['成交笔数', 'Trades'],
  band: ['涨跌幅限制', 'Price band'],
  block: ['大宗协议', 'Block'],
  tonnes: ['吨', 't'],
  no_data: ['暂无数据', 'No data'],

  depth: ['五档行情', 'Best five levels'],
  depth_chart: ['深度图', 'Depth chart'],
  chart: ['分时K线 (1分钟)', 'Candles (1 minute)'],
  tape: ['逐笔成交', 'Trade tape'],
  bids: ['买盘', 'Bids'],
  asks: ['卖盘', 'Asks'],
  level: ['档位', 'Level'],
  ask_n: ['卖', 'Ask '],
  bid_n: ['买', 'Bid '],
  price: ['价格', 'Price'],
  qty: ['数量', 'Quantity'],
  listings: ['挂牌单', 'Listings'],
  listings_hint: ['点击挂牌单号即可摘牌', 'Click a listing id to take it'],
  trade_id: ['成交号', 'Trade id'],
  ts: ['时间', 'Time'],
  aggressor: ['主动方', 'Aggressor'],
  liquidity: ['流动性', 'Liquidity'],
  liq_taker: ['摘牌方', 'Taker'],
  liq_maker: ['挂牌方', 'Maker'],
  withdraw: ['出金', 'Withdraw'],
  method: ['交易方式', 'Method'],
  id: ['编号', 'Id'],
  date: ['日期', 'Date'],
  funds_open: ['期初资金', 'Funds at open'],
  funds_close: ['期末资金', 'Funds at close'],
  deposits: ['入金', 'Deposits'],
  withdrawals: ['出金', 'Withdrawals'],
  bought_value: ['买入金额', 'Bought value'],
  sold_value: ['卖出金额', 'Sold value'],
  bought_qty: ['买入数量', 'Bought qty'],
  sold_qty: ['卖出数量', 'Sold qty'],
  open_qty: ['期初持仓', 'Holding at open'],
  close_qty: ['期末持仓', 'Holding at close'],
  fees: ['手续费', 'Fees'],
  trades: ['成交笔数', 'Trades'],
  lines: ['分品种', 'Per instrument'],
  unsettled: ['当日卖出未交收', 'Unsettled proceeds'],
  time: ['时间', 'Time'],
  value: ['金额', 'Value'],
  direction: ['方向', 'Side'],
  buy: ['买', 'Buy'],
  sell: ['卖', 'Sell'],
  buy_long: ['买入', 'Buy'],
  sell_long: ['卖出', 'Sell'],
  back_market: ['返回行情', 'Back to market'],

  post: ['挂牌', 'Post'],
  take: ['摘牌', 'Take'],
  cancel: ['撤单', 'Cancel'],
  post_title: ['挂牌申报', 'Post a listing'],
  take_title: ['摘牌申报', 'Take listings'],
  take_mode: ['摘牌方式', 'Take by'],
  take_named: ['指定挂牌单', 'Name listings'],
  take_by_qty: ['按数量与限价', 'By quantity and limit'],
  targets: ['挂牌单号:数量', 'Listing id:quantity'],
  targets_hint: ['点击五档中的挂牌单号添加；多个用逗号分隔', 'Click listing ids in the book; separate several with commas'],
  limit: ['限价', 'Limit price'],
  tif: ['有效期', 'Time in force'],
  tif_day: ['当日有效', 'Day'],
  tif_ioc: ['立即成交剩余撤销', 'IOC'],
  submit: ['提交', 'Submit'],
  login_to_trade: ['登录后可挂牌、摘牌', 'Log in to post and take'],
  order_done: ['委托已受理', 'Order accepted'],
  order_id: ['委托号', 'Order id'],
  filled: ['已成交', 'Filled'],
  remaining: ['剩余数量', 'Remaining'],
  resting: ['挂单中', 'Resting'],
  cancelled: ['已撤单', 'Cancelled'],

  account: ['交易账户', 'Account'],
  participant: ['交易主体', 'Participant'],
  funds: ['资金', 'Funds'],
  available: ['可用', 'Available'],
  frozen: ['冻结', 'Frozen'],
  withdrawable: ['可取', 'Withdrawable'],
  locked: ['锁定 (T+1)', 'Locked (T+1)'],
  holdings: ['持仓', 'Holdings'],
  open_orders: ['当前委托', 'Open orders'],
  fills: ['当日成交', "Today's fills"],
  fee: ['手续费', 'Fee'],
  statement: ['结算单 (上一交易日)', 'Statement (last closed day)'],
  no_statement: ['暂无结算单', 'No statement yet'],
  no_orders: ['无当前委托', 'No open orders'],
  no_holdings: ['无持仓', 'No holdings'],
  no_fills: ['今日无成交', 'No fills today'],
  client_order_id: ['客户委托号', 'Client order id'],
  kind: ['类型', 'Kind'],
  name: ['名称', 'Name'],
  side: ['买卖', 'Side'],
  need_login: ['请先登录', 'Please log in'],

  operator: ['运营管理', 'Operator'],
  market_state: ['市场状态', 'Market state'],
  halt: ['暂停交易', 'Halt'],
  resume: ['恢复交易', 'Resume'],
  halt_market: ['全市场暂停', 'Halt the market'],
  resume_market: ['全市场恢复', 'Resume the market'],
  end_of_day: ['日终处理', 'Run end of day'],
  confirm_eod: ['确认执行日终处理？所有挂牌单将失效。', 'Run end of day? Every live order lapses.'],
  participants: ['交易主体列表', 'Participants'],
  add_participant: ['新增交易主体', 'Add participant'],
  deposit: ['入金', 'Deposit'],
  credit: ['登记持仓', 'Credit holding'],
  amount: ['金额', 'Amount'],
  users: ['用户', 'Users'],
  add_user: ['新增用户', 'Add user'],
  roles: ['权限', 'Roles'],
  participant_status: ['交易主体状态', 'Participant status'],
  pstatus_active: ['正常', 'Active'],
  pstatus_suspended: ['暂停', 'Suspended'],
  pstatus_frozen: ['司法冻结', 'Frozen'],
  actions: ['操作', 'Actions'],
  done: ['完成', 'Done'],
  admin_only: ['仅限交易所运营人员', 'Exchange operators only'],
  kind_entity: ['重点排放单位', 'Compliance entity'],
  kind_compliance: ['重点排放单位', 'Compliance entity'],
  kind_institution: ['机构', 'Institution'],
  kind_individual: ['个人', 'Individual'],
  kind_authority: ['主管部门', 'Authority'],
  kind_exchange: ['交易所', 'Exchange'],
  error: ['错误', 'Error'],
};

const KEY = 'cets.lang';
let lang = localStorage.getItem(KEY) ||
  ((navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');
const listeners = [];

export function getLang() {
  return lang;
}

export function t(key) {
  const l = LABELS[key];
  if (!l) return key;
  return lang === 'zh' ? l[0] : l[1];
}

// Fill every element marked with data-i18n / data-i18n-ph under root.
export function applyLabels(root = document) {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-ph]')) el.placeholder = t(el.dataset.i18nPh);
  for (const el of root.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
}

export function setLang(l) {
  lang = l === 'zh' ? 'zh' : 'en';
  localStorage.setItem(KEY, lang);
  applyLabels();
  for (const fn of listeners) fn(lang);
}

// Pages re-render what they built with t() when the language changes.
export function onLangChange(fn) {
  listeners.push(fn);
}
