"""Hand-written risk knowledge: a floor of unambiguous phrases, cues, and mitigating frames.

All patterns are regular expressions matched on ``normalize.fold(text)`` (NFKC, lower case,
katakana folded to hiragana, spacing and look-alike tricks undone), so each is written once in
natural spelling and compiled in folded form.

- ``FLOOR``: phrases that mean risk whatever surrounds them (「死にたい」, "kill myself",
  「リスカ」, 「過食嘔吐」, 「殺してやる」…). A floor hit always holds the text, negated or
  reported (「死にたいとは思わない」 still goes to a person: the gate errs towards review).
- ``CUES``: words that often carry risk but also appear in ordinary life (「消えたい」「限界」
  「怒鳴られ」「吐いた」…). They do not hold on their own; they are features of the trained
  classifier, which learns from the dataset how much each counts.
- ``FRAMES``: contexts that usually make a risky word harmless (fiction, news, training,
  hyperbole, sport, cooking, an ordinary dose of medicine, a diet plan, something long past).
  Also classifier features; they lower the score, they never clear a floor hit.

The lists were written from knowledge of how people write about these things (crisis-line
guides, clinical screening items, Japanese internet slang), not copied from the dataset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from asoto.safety.normalize import fold, to_hiragana

# ``\b`` counts kana and kanji as word characters, so "odした" has no boundary after "od":
# patterns use a Latin-only boundary instead.
_LATIN_BOUNDARY = r"(?:(?<![a-z0-9])(?=[a-z0-9])|(?<=[a-z0-9])(?![a-z0-9]))"


def _compile(patterns: Mapping[str, tuple[str, ...]]) -> Mapping[str, tuple[re.Pattern[str], ...]]:
    def one(pattern: str) -> re.Pattern[str]:
        return re.compile(to_hiragana(pattern.lower()).replace(r"\b", _LATIN_BOUNDARY))

    return MappingProxyType({name: tuple(one(p) for p in items) for name, items in patterns.items()})


_DIE = r"(死に|死ね|死の|死ん|しに|しね|しの|しん|逝き|逝け)"
_WANT = r"(たい|たく|てぇ|たー|たす|たみ)"

FLOOR = _compile(
    {
        "suicidal": (
            rf"{_DIE}{_WANT}",
            r"死(ん|ね)(だら|れば|たら)(楽|どんなに|いい|いいの)",
            r"死(の|のう)(と思|かな|か)",
            r"死ぬ(準備|方法|つもり|しかない|こと(ばかり|を考え))",
            r"(自殺|自死)(したい|しよう|しようと|を考え|を決め|の方法|未遂|願望|念慮|する(つもり|しか))",
            r"(自殺|自死)(を|について)?(考え|調べ|ばかり)",
            r"希死念慮",
            r"遺書",
            r"命を(絶|断)",
            r"(人生|自分)を終わらせ",
            r"(全部|すべて|何もかも|人生)(を)?終わり?に(したい|しよう|する)",
            r"全部終わらせ",
            r"(いなくな|いなくなり|消えてなくな)(たい|たく|ろう|りたい)",
            r"消えて(しまい|しまえ|なくなり)たい",
            r"(この世|世界)から(消え|いなくな|退場)",
            r"生きて(い)?(たくない|る意味|いる意味|ても仕方|ても意味)",
            r"生きる(意味|理由)が(ない|わからない|見つからない)",
            r"生きてる(の|こと)?(が)?(むり|無理|しんど|つら|辛)",
            r"生きるの(が|も)?(つら|辛|しんど|むり|無理|疲れ)",
            r"生まれてこなければ",
            r"(目が覚め|起き)(なければ|なきゃ)(いい|よかった)",
            r"(明日|朝)が来なければ",
            r"(首|くび)を?(吊|つ)",
            r"首吊り",
            r"練炭",
            r"樹海",
            r"(飛び降り|飛び込)(たい|よう|自殺|ようと|たく|るつもり|れば)",
            r"来世(いき|行き|に期待)",
            r"人生(ろぐあうと|を降り|退場)",
            r"しにたみ",
            r"kill (my ?self|myself)",
            r"\bkms\b",
            r"\bsuicidal\b",
            r"(commit|attempt(ed)?|planning) suicide",
            r"suicide (attempt|plan|note)",
            r"(want|wanna|going) to (die|d1e)",
            r"\bwanna die\b",
            r"end (my life|it all|things)",
            r"take my (own )?life",
            r"better off (dead|without me)",
            r"\bunalive",
            r"sewerslide",
            r"(goodbye|suicide) (letter|note)",
            r"no (reason|point) (to|in) (live|living|being alive)",
            r"(don'?t|do not) want to (live|be alive|exist|wake up)",
            r"tired of (living|being alive|life)",
            r"not wake up",
            r"(そろそろ|もう)(終わりにして|終わらせて)(いい|も)",
            r"(ありがとう[^。]{0,10}ごめん|ごめん[^。]{0,10}ありがとう)[^。]{0,15}(手紙|書い|書き残)",
            r"最後の(お礼|挨拶|手紙|言葉)",
            r"生きて(い)?る(こと)?に(がっかり|絶望)",
            r"(来年|将来|未来|明日)の自分[^。]{0,6}(いる気がしない|想像できない|はいない)",
            r"staring (at|down) the (train )?tracks",
            r"(?<!すぎて)(?<!しくて)(?<!過ぎて)消えたい",
            r"あの世(の方が|に行きたい|へ行きたい|なら)",
            r"(永遠に|永久に|ずっと)(解放され|楽にな|眠り)たい",
            r"(私|自分|僕|俺)がいなくなった(とき|時|後|あと)",
            r"身辺(の)?整理",
            r"(大事|大切)にしていた[^。]{0,12}(譲|あげ|手放)[^。]{0,15}(必要ない|いらない|使わない)",
            r"thinking (about|of) jumping",
            r"(心臓|息)が止まって(い)?(ますように|ればいい|てほしい)",
            r"死ぬ(ための|為の)(道具|薬|準備|場所)",
            r"(痛くない|楽な|確実な|簡単な)死に方",
            r"(人生|命)(を)?(強制終了|リセット|終わりに)",
            r"殺してもらえたら",
            r"(病気|事故)で?(死ね|死んでしまえ)たら",
            r"(自分|存在|私)を消(し|す)(たい|てしまいたい|想像)",
            r"(終わり|消え|いなくなり|死に)たい(んじゃなくて|だけ|。)",
            r"(生きて|生きてい)(い)?てはいけない",
            r"(日にち|日|方法)を決め(る|た)だけ",
            r"一歩前に出たく",
            r"(もう|二度と)目を(覚まし|覚まさ)たくない",
            r"(ways|how) to (go|die|end it)",
            r"(pray|hope|wish) (i|that i) (won'?t|don'?t|never) wake up",
            r"(log off|stop existing|the big sleep)",
            r"(world|everyone) (would be|is) better (off )?without me",
            r"(pick|picked|choose|chose) a (day|date)",
            r"(don'?t think i'?ll|won'?t) make it to",
            r"(bridge|ledge|roof|rooftop|balcony)[^.]{0,40}jump",
            r"(step|stepped|took a step) closer to the (edge|tracks)",
        ),
        "self_harm": (
            r"りすか",
            r"あむか",
            r"れぐか",
            r"りすとかっと",
            r"自傷(し|して|した|癖|行為を(し|やめ)|が)",
            r"自分(の体)?を(傷つけ|痛めつけ|罰し)",
            r"(腕|手首|太もも|足|脚|体|肌)(を|に)?[^。]{0,8}(切っ|切り|切る|切った|傷を作|刺し)",
            r"(かみそり|剃刀|カッター|刃)[^。]{0,12}(切っ|切り|当て|腕|手首)",
            r"(切り|切っ)(たい衝動|たくなる|たい気持ち)",
            r"根性焼き",
            r"(たばこ|煙草|ライター)の火を(自分|腕|手)",
            r"(針|ピン|こんぱす)で[^。]{0,6}(腕|手|足|太もも|自分)",
            r"(自分|頭|顔)を(何度も)?(叩|殴)(か|い|っ|り|る)",
            r"(わざと|自分で)[^。]{0,10}(やけど|火傷|殴|傷|熱湯)",
            r"かさぶたを(はが|剥が)",
            r"ばーこーど",
            r"(やめて|止めて)[^。]{0,6}(か月|ヶ月|日|年)[^。]{0,10}(また|やって)",
            r"(carve|carving|scratch(ed|ing)?|pick(ed|ing)? at) [^.]{0,20}(skin|arm|thigh|wrist)",
            r"(punch(ed)?|hit(ting)?) (the wall|myself)",
            r"\brelapsed\b",
            r"\d+ (days|weeks|months) clean",
            r"\bcut(ting)? (myself|my (arm|wrist|leg|thigh)s?)",
            r"\bself[- ]?harm",
            r"\bsh again",
            r"hurt(ing)? myself",
            r"burn(ed|t)? (myself|my (arm|hand|skin))",
            r"(want|urge) to cut",
            r"髪(の毛)?を抜(く|い)[^。]{0,10}(止まら|やめられ)",
            r"(傷|跡|あと)を隠(す|し)",
            r"切(ったら|れば)[^。]{0,6}楽に",
        ),
        "overdose": (
            r"\bod(し|した|する|って|った|りたい|したい|\b)",
            r"おーばーどーず",
            r"overdos",
            r"(薬|錠|睡眠薬|眠剤|市販薬|風邪薬|頭痛薬|鎮痛剤|精神薬)[^。]{0,12}(まとめて|全部|大量|箱ごと|瓶ごと|一気|何十錠|溜め|貯め)",
            r"(まとめて|大量に|一度に全部|箱ごと)[^。]{0,6}(飲|服用)",
            r"(ぶろん|金ぱぶ|めじこん|れすたみん)[^。]{0,10}(錠|飲|買|\d)",
            r"\d{2,}錠",
            r"ぱき(る|りたい|った)",
            r"胃洗浄",
            r"(薬|錠剤|睡眠薬|眠剤)を(たくさん|いっぱい|山ほど|大量に)",
            r"(お酒|酒|アルコール)[^。]{0,10}(と一緒に|で)[^。]{0,6}(薬|錠剤|睡眠薬)",
            r"(薬|錠剤|睡眠薬)[^。]{0,10}(お酒|酒|アルコール)で(流し込|飲)",
            r"(複数の|いろんな|色んな|何軒もの|二つの|別々の)(病院|クリニック|医者)",
            r"(prescriptions?|pills|meds) from (two|multiple|several|different) (doctors|clinics)",
            r"(mix(ing)?|with) (my )?(pills|meds)[^.]{0,10}(wine|alcohol|booze|vodka)",
            r"(took|swallowed|taking) (the whole|a whole|all (my|the)) (bottle|pills|meds)",
            r"\bod'?d\b",
            r"(saving|stockpiling|hoarding) (up )?(my )?(pills|meds)",
        ),
        "abuse": (
            r"dv(され|を受け|がひど|が始ま|が再開|えぐ|やば)",
            r"(夫|旦那|彼氏|彼女|妻|嫁|恋人|親|父|母|ぱーとなー)(から|の|からの)?\s?(dv|でーとdv)",
            r"dv(が|を)?(また)?(始ま|ひど|続|受け)",
            r"でーとdv",
            r"虐待(され|を受け|されて)",
            r"(夫|旦那|妻|嫁|彼氏|彼女|恋人|父|母|親|兄|姉|義母|義父|継父|継母|パートナー)[^。]{0,10}(に|から)[^。]{0,10}(殴られ|叩かれ|蹴られ|首を絞められ|どつかれ|暴力|突き飛ばされ|ベルトで|閉じ込められ|引きずり)",
            r"(殴る|蹴る)の暴力",
            r"(転んだ|ぶつけた|落ちた)ことにした",
            r"told [^.]{0,20}i (fell|walked into)",
            r"(財布|すまほ|携帯|通帳|かーど|お金)[^。]{0,10}取り上げられ",
            r"(顔|腕|体)にあざ[^。]{0,20}(旦那|夫|彼氏|父|母|やられ)",
            r"(包丁|ナイフ|刃物)を向けられ",
            r"足音が聞こえる(と|たび)[^。]{0,15}(固ま|震え|寝たふり|隠れ)",
            r"(my|her|his) (husband|wife|boyfriend|girlfriend|partner|dad|father|mom|mother|stepfather|stepdad|parents?) (hit|hits|beat|beats|choked|chokes|slapped|slaps|kicked|kicks|punched|touches|hurt)",
            r"(being|was|got) (abused|beaten)",
        ),
        "threat": (
            r"殺して(やる|やりたい|やろう)",
            r"(ぶっ|ぶち)?殺(す|したい|してやる)(\b|$|ぞ|。|!|つもり)",
            r"ころす",
            r"刺して(やる|やろう|やりたい)",
            r"(火を|火)(つけて|放って)(やる|やろう|やりたい)",
            r"燃やして(やる|やりたい)",
            r"(痛い目|同じ目|同じ苦しみ)[^。]{0,6}(あわせ|遭わせ|味わわせ)",
            r"思い知らせてやる",
            r"(仕返し|復讐)(してやる|する方法|の方法|を計画|を考え)",
            r"(しばい|しばき)(たる|回したる|てやる)",
            r"いてもうたろ",
            r"(次会ったら|次に会ったら|明日|絶対|今度)[^。]{0,8}(刺す|殺す|しばく|殴る|ころす|しめる)",
            r"(あいつ|上司|元彼|元カレ|元妻|元夫|同僚|相手|あの人)の(家|住所|職場|通勤ルート)を(調べ|突き止め|確認)",
            r"(包丁|ナイフ|刃物|武器)を(持って|持っていく|持ち歩|鞄に)",
            r"end (that|this) (guy|dude|man|woman|bitch)",
            r"i('m| am)? (going|gonna) (to )?(kill|hurt|shoot|stab)",
            r"(kill|hurt|stab|shoot) (him|her|them|my boss|that guy)",
            r"(make|will) (him|her|them) pay",
            r"shoot up",
        ),
        "eating_disorder": (
            r"過食嘔吐",
            r"食べ吐き",
            r"吐きだこ",
            r"拒食(症|って|してる)",
            r"ちゅーいんぐ",
            r"(食べ(た|る)(あと|後|たび|もの)|食後)[^。]{0,12}(吐い|吐く|吐き)",
            r"(指を入れて|わざと)吐",
            r"下剤[^。]{0,8}(大量|毎日|飲み続け|乱用)",
            r"(太る|太りたくない|体重が増える)のが怖",
            r"骨が(見える|浮く)まで",
            r"(空腹|お腹が空いて)(いる|い)?(状態|とき|時)(で)?(ないと|だけ)安心",
            r"safe only when (i'?m|im|i am) hungry",
            r"(がむ|水|お茶|りんご|こーひー)[^。]{0,6}だけで[^。]{0,8}(一日|過ごし|乗り切)",
            r"binge (and|&) purge",
            r"\bpurg(e|ed|ing)\b",
            r"(throw(ing)? up|make myself sick|made myself (sick|throw up)) after",
            r"\blaxatives\b",
            r"scared (of|to) (gain(ing)? weight|eat)",
        ),
        "severe_distress": (
            r"(助けて|たすけて)",
            r"もう限界",
            r"(心|メンタル)が(壊れ|死んで|折れ)",
            r"絶望(しか|して|的)",
            r"逃げ場がない",
            r"(起き上がれ|布団から出られ|ベッドから出られ)(ない|ず)",
            r"涙が止まらない日",
            r"何も感じない",
            r"(うつ|鬱)(病)?(と診断|すぎ|状態が)",
            r"病み(期|すぎ)",
            r"休職",
            r"can'?t (go on|take it anymore|do this anymore|get out of bed|function)",
            r"\bhopeless\b",
            r"falling apart",
            r"panic attacks? (every|each)",
            r"(好きだった|楽しかった)(こと|もの)[^。]{0,10}(楽しくない|楽しめない|何も感じ)",
            r"涙[^。]{0,10}(止まらな|あふれ)[^。]{0,20}(日目|日も|週間|毎晩|毎日)",
            r"(つらい|辛い|しんどい|むり|無理)\W*(つらい|辛い|しんどい|むり|無理)\W*(つらい|辛い|しんどい|むり|無理)",
            r"can'?t even (shower|eat|get up|leave)",
            r"(まじで|マジで|ほんまに|本当に|ほんとに|がちで)限界",
            r"泣くのが日課",
            r"(週間|か月|ヶ月|日間|日も)[^。]{0,6}(ほとんど|まともに|全然)?(眠れて|寝れて|寝て)(い)?ない",
            r"(自分|心)が(どんどん)?壊れ",
            r"ぱにっく発作",
            r"めんへら(発動|期|全開)",
            r"(頭|気)がおかしくなりそう",
            r"めんたる(終わ|崩壊|やば|死ん|ぼろぼろ)",
        ),
        "harassment": (
            r"ぱわはら",
            r"せくはら",
            r"もらはら",
            r"またはら",
            r"ハラスメント(を受け|され|に遭)",
            r"(いじめ|虐め)(られて(い|る)|を受けて|に遭って)",
            r"すとーかー",
            r"(しつこく|ずっと|毎日)付きまとわれ",
            r"待ち伏せされ",
            r"(後|あと)をつけられ",
            r"(毎日|何度も|しつこく|繰り返し)[^。]{0,10}(怒鳴られ|触られ|迫られ|無視され|脅され)",
            r"人格を否定",
            r"(全社|みんなの前|皆の前|全員の前|人前)[^。]{0,10}(さらされ|晒され|責められ|怒鳴られ|罵倒|笑いもの)",
            r"(妊娠|産休|育休)[^。]{0,20}(退職|辞め|外され|嫌味|降格)",
            r"threaten(ed|s)? to fire me",
            r"晒され",
            r"(harass|bully|bullied|stalk)(ing|ed|s)?\b",
            r"cyberbull",
            r"doxx",
        ),
    }
)

# Harmful advice an AI coach must never deliver (read on the AI's own turns, beside FLOOR).
ADVICE = _compile(
    {
        "suicidal": (
            r"(消えて|終わりにして|死んで|いなくなって)[^。]{0,10}(しまいましょう|もいい|のも一つ|しまえば)",
            r"(ending it|end it all|ending your life)[^.]{0,20}(choice|option|answer|okay)",
        ),
        "self_harm": (
            r"(切る|切って|傷つけ|罰し)[^。]{0,10}(のも一つ|方法です|てみましょう|ましょう|てもいい)",
            r"(cutting|hurting yourself)[^.]{0,20}(helps|cope|okay|fine)",
        ),
        "overdose": (
            r"(薬|錠|睡眠薬|眠剤)[^。]{0,15}(多め|倍|まとめて|増や)[^。]{0,10}(飲|服用)",
            r"(extra|more|double|a few more) (pills|meds|doses?)",
        ),
        "eating_disorder": (
            r"(食事|夕食|朝食|昼食|ご飯|一食)[^。]{0,6}(抜い|減らし)[^。]{0,12}(ましょう|てみ|ください|ばいい|られます)",
            r"(吐く|吐けば|吐いて|下剤)[^。]{0,12}(ましょう|痩せ|いい|られます)",
            r"(skip (meals|dinner|breakfast|lunch)|purge)",
        ),
        "threat": (
            r"(殴って|殴れば|仕返し|やり返)[^。]{0,12}(やれば|ましょう|みて|いい|すっきり)",
            r"(hurt|hit|get back at) (him|her|them|people)",
        ),
        "abuse": (r"(あなたにも原因|あなたが悪い)", r"(try harder not to upset|your fault)"),
    }
)

CUES = _compile(
    {
        "death": (r"死", r"\bdie\b", r"\bdead\b", r"\bdeath\b", r"\bd1e\b"),
        "vanish": (
            r"消え(たい|たく|てしまい|る方法)",
            r"いなくな(りたい|っても|れたら|った方が|る)",
            r"(存在|自分)(ごと|が)?(なくな|消)",
            r"disappear",
            r"not exist",
            r"never come back",
            r"\bgone\b",
        ),
        "no_future": (
            r"(未来|将来|来年|明日)[^。]{0,8}(考えられない|いる気がしない|来なければ|怖い)",
            r"意味(が|は)?(ない|ない気|わからない)",
            r"(生きて|存在)[^。]{0,6}(意味|価値)",
            r"no future",
            r"pointless",
            r"no point",
        ),
        "burden": (
            r"(迷惑|足手まとい|お荷物)",
            r"(いない|いなくなった|死んだ)方が",
            r"(誰も|みんな)[^。]{0,6}(困らない|気づかない|楽になる)",
            r"better off",
            r"burden",
            r"nobody would (even )?(notice|care|miss)",
        ),
        "farewell": (
            r"(最後|最期)(の|に)(お礼|挨拶|手紙|言葉)",
            r"身辺(の)?整理",
            r"(譲った|あげた)[^。]{0,12}(もう|必要)",
            r"お別れ",
            r"(長らく|今まで)(お世話になり|ありがとう)",
            r"gave away",
            r"won'?t need",
            r"goodbye",
        ),
        "method": (
            r"(線路|ホーム|踏切|屋上|ベランダ|橋|崖|柵)",
            r"(ろーぷ|縄|紐)",
            r"(飛び降り|飛び込|落ちたら)",
            r"(rope|bridge|tracks|jump(ing)?|ledge|rooftop)",
        ),
        "injury": (
            r"(傷|あざ|痣|跡|血|絆創膏|長袖|りすとばんど|かみそり|剃刀|かったー|刃)",
            r"(切っ|切り|切る|刺し|傷つけ|ひっかい|引っかい|打ちつけ|押し付け|火傷)",
            r"(scar|bruise|blood|bleed|blade|razor|marks|sleeves|relapse)",
            r"\bcut",
        ),
        "pills": (
            r"(薬|錠|瓶|眠剤|睡眠薬|市販薬|咳止め|鎮痛剤|痛み止め|処方)",
            r"(pill|meds|medication|bottle|dose|painkiller)",
        ),
        "excess": (
            r"(全部|大量|まとめて|箱ごと|一気|何十|倍|多め|溜め|貯め|はしご|足りな)",
            r"(whole|all of|handful|bunch|extra|way more|saving)",
        ),
        "violence": (
            r"(殴|叩|蹴|絞め|突き飛ば|どつ|暴力|怒鳴|暴れ|押しつけ|投げつけ|閉じ込め|つかまれ|引きずり)",
            r"(hit|beat|slap|choke|kick|punch|shove|scream|throw|locks?\b|violent|physical)",
        ),
        "family": (
            r"(夫|旦那|妻|嫁|彼氏|彼女|恋人|父|母|親|兄|姉|弟|妹|義母|義父|継父|継母|ぱーとなー|元彼|元カレ|家族|実家|家に)",
            r"(husband|wife|boyfriend|\bbf\b|girlfriend|partner|dad|father|mom|mother|stepfather|parents?|home)",
        ),
        "fear": (
            r"(怖い|怖く|怖かった|震え|おびえ|怯え|びくびく|息をひそめ|顔色)",
            r"(scared|afraid|terrified|fear)",
        ),
        "intent_harm": (
            r"(殺|刺し|刺す|仕返し|復讐|痛い目|後悔させ|思い知ら|火をつけ|燃や|ないふ|包丁|毒|細工|しば(く|き|い))",
            r"(kill|hurt|stab|shoot|knife|gun|revenge|regret|get back at|pay\b|smash)",
        ),
        "target": (
            r"(あいつ|あの人|あの上司|上司|同僚|元彼|元カノ|元妻|元夫|隣|店長|先生|部長|課長|連中|全員)",
            r"(him|her|them|boss|manager|coworker|ex\b|teacher|neighbou?r|that guy)",
        ),
        "purge_starve": (
            r"(吐い|吐き|吐く|嘔吐|下剤|食べない|食べていない|食べられ|抜い|絶食|何も食べ|水しか)",
            r"(throw(ing)? up|vomit|purge|starv|skip(ping)? meals|not eat|haven'?t eaten|laxative)",
        ),
        "body_weight": (
            r"(体重|太る|太っ|痩せ|やせ|かろりー|体型|鏡|がりがり|kg|キロ|bmi)",
            r"(weight|fat|thin|calorie|skinny|body|mirror)",
        ),
        "guilt_food": (r"(罪悪感|罰|許せな|隠れて|捨てて)", r"(disgusting|guilt|hide food|hiding food)"),
        "exhaustion": (
            r"(限界|つらい|辛い|しんどい|疲れ果て|燃え尽き|動けない|起き上がれ|涙|泣い|眠れ|無理|むり)",
            r"(exhausted|burn(t|ed) out|can'?t|crying|numb|empty|drowning|falling apart)",
        ),
        "duration": (
            r"(毎日|毎晩|毎朝|ずっと|何日も|何週間|週間|か月|ヶ月|一年|続いて|続けて|止まらない|やめられない)",
            r"(every (day|night|morning)|for (weeks|months|days)|keep|can'?t stop|always|anymore)",
        ),
        "functional_loss": (
            r"(会社を休|仕事に行けな|出られな|食べられな|風呂|歯を磨|何もできな|手につかな|外に出られ)",
            r"(can'?t (work|eat|shower|leave)|off work|haven'?t left)",
        ),
        "worthless": (r"(価値がない|価値もない|無価値|空っぽ|生きている実感)", r"(worthless|useless|empty inside)"),
        "work_power": (
            r"(上司|部長|課長|先輩|取引先|店長|まねーじゃー|同僚|職場|会社|学校|くらす)",
            r"(boss|manager|supervisor|coworker|colleague|team lead|work|office|school)",
        ),
        "mistreat": (
            r"(怒鳴|無視|悪口|陰口|人格|触られ|迫られ|脅|からかわれ|笑われ|外され|隠され|捨てられ|詰められ|責め|辞めろ|使えない|晒)",
            r"(yell|scream|ignor|mock|laugh(ed|s)? at|touch|threat|comments about|useless|humiliat)",
        ),
        "persistence": (
            r"(しつこく|何度も|毎日|毎回|繰り返し|ずっと|続け)",
            r"(keeps|every|again and again|constantly)",
        ),
        "mental_slang": (r"(めんへら|病み|やみ|めんたる|鬱|うつ)", r"(mental health|depress|anxiety)"),
        "self_talk_distress": (r"(助けて|誰か|どうすれば|どうしたら)", r"(help me|what do i do|idk what to do)"),
        "topic_words": (
            r"(自殺|自死|自傷|うつ|鬱|dv|虐待|いじめ|ハラスメント|付きまとわ|過食|拒食|摂食|過労死|od)",
            r"(suicid|self-harm|self harm|depress|domestic violence|abuse|bully|harass|eating disorder|overdos|burnout)",
        ),
    }
)

FRAMES = _compile(
    {
        "hyperbole": (
            r"(死ぬ|死に)(ほど|かと思|そう)",
            r"死ねる",
            r"(すぎて|過ぎて)[^。]{0,4}(死|消え|限界|倒れ)",
            r"(恥ずかし|はずかし)",
            r"(笑|わら)(った|える|い)",
            r"(\bw+\b|（笑）|\(笑\))",
            r"(lol|lmao|haha)",
            r"(dying to|killing it|killed it|killing me|could murder|death of me|almost died|laughed so hard)",
            r"(穴があったら|魂が抜け|昇天|凍死|死亡した)",
            r"(尊い|推し|と言いつつ|と言いながら|なんて言いながら)",
            r"(rather die than|starving|nearly died of|going to kill me for)",
        ),
        "fiction_game": (
            r"(げーむ|映画|小説|漫画|まんが|どらま|あにめ|ほらー|ミステリー|みすてりー|人狼|まーだーみすてりー|時代劇|殺陣|ぼす|fps|ばとる|役|描写|場面|しーん|主人公|犯人|さすぺんす)",
            r"(game|movie|film|novel|book|show|series|episode|character|villain|boss|thriller|documentary|fiction)",
        ),
        "news_training": (
            r"(ニュース|にゅーす|記事|報道|研修|講座|講演|授業|論文|統計|れぽーと|学んだ|学べ|ボランティア|ぼらんてぃあ|窓口|予防|防止|対策|相談員|実習|看護|心理学|啓発|ちらし|げーときーぱー)",
            r"(news|article|report|training|course|workshop|class|lecture|thesis|research|statistics|volunteer|prevention|awareness|podcast|fundraiser)",
        ),
        "sport_craft": (
            r"(じむ|ぼくしんぐ|きっくぼくしんぐ|柔道|剣道|空手|ふぇんしんぐ|すぱーりんぐ|組手|稽古|試合|練習|ばんじー|すかいだいびんぐ|ぼるだりんぐ|射撃|狩猟|釣|さばげー|筋トレ|腹筋|さうな|ダンス)",
            r"(gym|boxing|sparring|match|practice|workout|bungee|skydiv|climbing|shooting range|hunting|sauna|volleyball)",
        ),
        "cooking_grooming": (
            r"(料理|包丁|まな板|玉ねぎ|野菜|魚|刺身|三枚|髪|枝|雑草|庭|ぱん|献血|歯医者|親知らず|麻酔|虫歯|注射)",
            r"(cooking|kitchen|onion|bread|slicing|hair ?cut|haircut|weeds|hedge|blood donation|gave blood|dentist)",
        ),
        "ordinary_medicine": (
            r"(風邪|花粉症|頭痛がひどかった|一錠|処方された薬をきちんと|飲み忘れ|ぴるけーす|再検査|胃腸炎|食あたり|飲みすぎて吐)",
            r"(ibuprofen|allergy|food poisoning|one pill|as prescribed|forgot my meds)",
        ),
        "diet_plan": (
            r"(ダイエット|だいえっと|糖質制限|断食|ファスティング|ふぁすてぃんぐ|減量|栄養士|トレーナー|たんぱく質|計画|カロリー計算|野菜中心|間食)",
            r"(diet|fasting|tracking my calories|cut back on sugar|lose (five|\d+) pounds|meal plan|nutritionist)",
        ),
        "resolved": (
            r"(今は|もう)[^。]{0,10}(大丈夫|元気|気にならな|乗り越え|回復)",
            r"(乗り越え|回復して|仲直り|話し合え|解決|反省|次は|次に向け|頑張ろう|頑張る|間に合っ|なんとか)",
            r"(but|though)[^.]{0,30}(fine|better|worth it|sorted|fair|great|on time)",
            r"(feeling better|sorted it out|talked it through|shook it off|no regrets)",
        ),
        "positive": (
            r"(楽しかった|嬉しかった|うれしかった|よかった|良かった|最高|気持ちいい|すっきり|ほっとし|達成感|好評|ありがたかった|癒され)",
            r"(fun|great|amazing|glad|happy|loved|win\b|relieved|proud|enjoy)",
        ),
        "past": (
            r"(頃は|頃に|頃の|昔|以前|当時|学生時代|子どもの頃)",
            r"(used to|back then|years ago|when i was (a kid|young|in school))",
        ),
        "pet_or_small_child": (
            r"(猫|ねこ|犬|いぬ|ぺっと|赤ちゃん|幼児|ふぇれっと|うさぎ)",
            r"(\bcat\b|\bdog\b|puppy|kitten|toddler|\bbaby\b|\bpet\b)",
        ),
        "other_person_task": (
            r"(教えた|手伝|励ま|仲裁|応援|見守)",
            r"(taught|helped|cheer)",
        ),
    }
)

FEATURE_NAMES: tuple[str, ...] = (
    *(f"floor:{c}" for c in FLOOR),
    *(f"cue:{c}" for c in CUES),
    *(f"frame:{c}" for c in FRAMES),
)


def _hits(patterns: Mapping[str, tuple[re.Pattern[str], ...]], folded: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, items in patterns.items():
        matched = [m.group(0) for p in items if (m := p.search(folded))]
        if matched:
            found[name] = matched
    return found


def floor_hits(text: str) -> dict[str, list[str]]:
    """Categories whose unambiguous phrases occur, with the phrases found."""
    return _hits(FLOOR, fold(text))


def advice_hits(text: str) -> dict[str, list[str]]:
    """Categories of harmful advice in a text an AI wrote."""
    return _hits(ADVICE, fold(text))


GROUP_SCALE = {"floor": 2.0, "cue": 1.0, "frame": 2.0}


def features(text: str) -> list[float]:
    """Counts of floor, cue and frame groups matched (capped at 2), in ``FEATURE_NAMES`` order,
    scaled per group so the classifier's regularisation treats strong evidence as strong."""
    folded = fold(text)
    out: list[float] = []
    for group, patterns in (("floor", FLOOR), ("cue", CUES), ("frame", FRAMES)):
        scale = GROUP_SCALE[group]
        for items in patterns.values():
            out.append(scale * min(2, sum(1 for p in items if p.search(folded))))
    return out
