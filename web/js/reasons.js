// reasons.js -- the reasons of refusals in Chinese, keyed by their stable
// names (include/cets/errors.h for the engine's, docs/api.md "Errors" for the
// gateway's). The English sentence is the server's own (`message`); this
// table is the Chinese beside it. A table keyed by name, apart from
// errors.h, because the names are stable and the English messages are not
// (they are built by the rule that refused). tests/web/reasons.sh checks that
// every reason of errors.h has an entry here.

export const REASONS_ZH = {
  ok: '已受理',
  // 1xx: the command itself
  bad_command: '无法识别的指令',
  bad_side: '买卖方向须为买入或卖出',
  bad_argument: '参数超出允许范围',
  time_backwards: '指令时间早于上一条指令',
  bad_code: '品种代码须为1至15位字母或数字',
  too_many_targets: '一次摘牌最多指定8笔挂牌单',
  capacity: '系统容量已满（品种、交易主体或委托）',
  bad_param: '参数值超出允许范围或与其他参数矛盾',
  param_not_urgent: '该参数只能自以后某个交易日开盘起生效，不能立即生效',
  // 2xx: who is asking
  unknown_participant: '交易主体不存在',
  participant_suspended: '交易主体已暂停，不得新增申报',
  participant_frozen: '交易主体的持仓已被司法冻结',
  not_authorised: '该操作须由有权机构执行',
  kind_not_allowed: '该类交易主体不得交易此品种',
  not_owner: '该委托属于其他交易主体',
  // 3xx: what is traded
  unknown_instrument: '交易品种不存在',
  instrument_halted: '该品种已暂停交易',
  market_halted: '全市场已暂停交易',
  duplicate_instrument: '同代码品种已存在',
  wrong_mode: '该指令不适用于此品种的交易方式',
  unknown_order: '委托不存在或已不在簿中',
  book_not_empty: '仅在委托簿为空时可更改交易方式',
  // 4xx: price and size
  price_tick: '价格须为最小变动价位（0.01元）的整数倍',
  price_out_of_band: '价格超出当日涨跌幅限制',
  qty_out_of_range: '数量超出允许范围',
  nothing_changed: '修改未改变任何内容',
  // 5xx: funds and holdings
  insufficient_funds: '可用资金不足以支付成交金额及手续费',
  insufficient_holdings: '可用持仓不足',
  t1_locked: '当日买入的配额须下一交易日方可卖出（T+1）',
  funds_unsettled: '当日卖出所得须日终结算后方可出金',
  overflow: '金额过大',
  position_limit: '持仓将超过该交易主体的持仓限额',
  // 6xx: sessions and calendar
  session_closed: '当前不在交易时段',
  session_open: '日终处理须在当日最后一个交易时段结束后进行',
  not_trading_day: '该日为周末或节假日',
  // 7xx: matching
  self_trade: '交易主体不得与自己成交',
  crossing_post: '挂牌价格与对手方挂牌交叉，请直接摘牌',
  not_in_best_five: '摘牌只能指定最优五档内的挂牌单',
  target_side: '所指定的挂牌单与摘牌方向相同',
  target_qty: '摘牌数量超过该挂牌单剩余数量',
  no_liquidity: '限价内没有可摘的挂牌单',
  duplicate_target: '同一挂牌单被重复指定',
  unknown_block: '大宗协议报价或意向不存在或已失效',
  not_addressee: '该意向的对手方不是您',
  terms_mismatch: '确认条款须与意向的品种、方向、价格和数量一致',
  unknown_auction: '单向竞价不存在',
  auction_not_open: '该单向竞价当前不接受申报',
  auction_running: '单向竞价尚未到结束时间',
  bad_window: '竞价结束时间须晚于开始时间',
  // 8xx: journal and server
  journal_failed: '日志写入失败，指令未被受理',
  duplicate_request: '该客户委托号已使用',
  not_leader: '本节点为备用节点，请向主节点提交',
  // 9xx: registry and compliance
  not_entity: '仅重点排放单位有配额分配与清缴义务',
  no_obligation: '该单位该年度尚无核查排放量',
  year_closed: '该年度已过清缴截止日',
  ccer_cap: 'CCER抵销不得超过应清缴量的5%',
  over_surrender: '清缴量将超过应清缴量',
  unknown_transfer: '待复核的划转不存在',
  four_eyes: '划转须由另一名用户复核批准',
  not_allowance: '只能分配碳排放配额（CEA）',
  bad_text: '须填写受益人和注销原因',
  // the gateway's (docs/api.md "Errors")
  bad_json: '请求内容不是有效的JSON对象',
  bad_field: '字段缺失或取值无效',
  unknown_field: '请求包含不支持的字段',
  too_large: '请求内容过大',
  unauthenticated: '未登录或登录已失效',
  forbidden: '无权执行此操作',
  not_found: '资源不存在',
  rate_limited: '登录失败次数过多，请稍后再试',
  method_not_allowed: '不支持的请求方法',
  unavailable: '服务暂不可用',
  bad_file: '文件有误，未导入任何数据',
  network: '无法连接服务器',
  bad_answer: '服务器返回内容无法识别',
};

// A refusal as a person reads it: in Chinese the table's sentence (and the
// field, for a field's error), the server's English in English; the reason
// name and code always, so that support can find it.
export function reasonText(err, lang) {
  const reason = err.reason || 'error';
  const code = err.code ? ` ${err.code}` : '';
  const zh = REASONS_ZH[reason];
  if (lang === 'zh' && zh) {
    const field = err.field ? `（字段 ${err.field}）` : '';
    return `${zh}${field}（${reason}${code}）`;
  }
  return `${err.message || reason} (${reason}${code})`;
}
