"""What the offline responder knows: themes with exemplar sentences and reply templates.

Exemplars come from a measured probe of the offline embedder (nearest-centroid theme accuracy
44/48 on Japanese reflection sentences). Templates take ``{quote}``, the member's own
words, so the reply is about the log, not generic.
"""

from __future__ import annotations

THEMES: dict[str, dict[str, object]] = {
    "sleep": {
        "exemplars": [
            "夜中に何度も目が覚めてしまい、朝がつらい。",
            "布団に入ってもなかなか寝付けない日が続いている。",
            "寝不足のせいで日中ずっとぼんやりしていた。",
            "スマホを見ていたら深夜2時になっていた。",
            "朝起きられず、アラームを3回止めてしまった。",
            "I could not sleep well and felt tired all day.",
        ],
        "ja": {
            "insight": "睡眠の質が一日の集中や気分に直結していることに、ご自身で気づけています。",
            "question": "ぐっすり眠れた日の前の晩は、どんな過ごし方をしていましたか？",
            "next_action": "今夜は寝る30分前にスマホを別の部屋に置いてみましょう。",
        },
        "en": {
            "insight": "You noticed how much your sleep shapes your focus and mood the next day.",
            "question": "On nights you slept well, what did your evening look like?",
            "next_action": "Tonight, put your phone in another room 30 minutes before bed.",
        },
    },
    "work": {
        "exemplars": [
            "上司からの厳しい指摘が頭から離れない。",
            "職場の人間関係に疲れてしまった。",
            "会議で発言できず悔しかった。",
            "プロジェクトの責任が重くて、プレッシャーを感じている。",
            "評価面談で思ったような反応がもらえなかった。",
            "I spoke up in the team meeting for the first time.",
        ],
        "ja": {
            "insight": "仕事の場面での自分の反応を言葉にできていて、次にどう動きたいかの手がかりが見えています。",
            "question": "その場面で、本当はどんな一言を伝えたかったですか？",
            "next_action": "明日の会議で伝えたいことを一つだけ、事前にメモに書いておきましょう。",
        },
        "en": {
            "insight": "You put your reaction at work into words, which shows what you want to do next.",
            "question": "In that moment, what is the one thing you really wanted to say?",
            "next_action": "Before tomorrow's meeting, write down one point you want to share.",
        },
    },
    "exercise": {
        "exemplars": [
            "今朝も5キロ走って、気分がすっきりした。",
            "ジムに通い始めて3週間、筋トレが楽しくなってきた。",
            "仕事帰りにヨガのクラスに参加した。",
            "一駅手前で降りて歩いて帰った。",
            "久しぶりにプールで泳いだら、体が軽くなった。",
            "I went for a run this morning and felt great.",
        ],
        "ja": {
            "insight": "体を動かすことが気分の切り替えにつながっていると実感できていますね。",
            "question": "続けられている理由を一つ挙げるとしたら、何だと思いますか？",
            "next_action": "次に動く日と時間を今日のうちにカレンダーに入れておきましょう。",
        },
        "en": {
            "insight": "You can feel how moving your body helps you reset your mood.",
            "question": "If you had to name one reason you keep it up, what would it be?",
            "next_action": "Put the day and time of your next workout in your calendar today.",
        },
    },
    "study": {
        "exemplars": [
            "資格試験に向けて、毎晩1時間テキストを読んでいる。",
            "英単語アプリを使って通勤中に勉強した。",
            "模擬試験の点数が伸びず焦っている。",
            "オンライン講座の課題をやっと提出できた。",
            "プログラミングの勉強で、エラーが解決できずに一日が終わった。",
            "I studied English for an hour today.",
        ],
        "ja": {
            "insight": "学びを積み重ねる中で、できたこととつまずいたことを分けて捉えられています。",
            "question": "この学びが身についたとき、どんな自分になっていたいですか？",
            "next_action": "明日は15分だけ、今日つまずいたところを見直す時間をとりましょう。",
        },
        "en": {
            "insight": "You separate what went well from where you got stuck in your learning.",
            "question": "Once this learning sticks, who do you want to be?",
            "next_action": "Tomorrow, take 15 minutes to revisit the part that stopped you today.",
        },
    },
    "family": {
        "exemplars": [
            "週末は子どもと公園で遊んで、とても癒された。",
            "母の誕生日に久しぶりに実家へ帰った。",
            "夫と家事の分担について話し合った。",
            "娘の運動会を見に行けて嬉しかった。",
            "両親に電話して近況を伝えた。",
            "I had dinner with my family and we talked a lot.",
        ],
        "ja": {
            "insight": "家族との時間が、自分にとって大切な支えになっていることが伝わってきます。",
            "question": "家族とのその時間で、いちばん心に残った瞬間はどこでしたか？",
            "next_action": "今週、家族に「ありがとう」を具体的な言葉で一つ伝えてみましょう。",
        },
        "en": {
            "insight": "Time with your family clearly matters to you and supports you.",
            "question": "What moment of that time with your family stayed with you most?",
            "next_action": "This week, thank someone in your family for one specific thing.",
        },
    },
    "money": {
        "exemplars": [
            "今月は外食が多くて出費がかさんだ。",
            "家計簿をつけ始めて、無駄遣いに気づいた。",
            "貯金の目標額にまだ届かない。",
            "固定費を見直して、スマホのプランを変えた。",
            "衝動買いをしてしまい、少し後悔している。",
            "I started tracking my spending this month.",
        ],
        "ja": {
            "insight": "お金の使い方を振り返ることで、自分が何を大事にしたいかが見え始めています。",
            "question": "使ってよかったと思えるお金は、どんなことに使ったときでしたか？",
            "next_action": "今週の出費から「満足した」ものを一つ選んで理由を書いてみましょう。",
        },
        "en": {
            "insight": "Looking back at your spending shows what you want to value.",
            "question": "When did spending money feel truly worth it to you?",
            "next_action": "Pick one purchase this week you were glad about and write down why.",
        },
    },
    "health": {
        "exemplars": [
            "野菜中心の食事を心がけて3日目。",
            "間食を控えようとしたが、夜にお菓子を食べてしまった。",
            "健康診断で血圧が高めだと言われた。",
            "水を1日2リットル飲むようにしている。",
            "体重が2キロ減って嬉しい。",
            "I have been eating more vegetables this week.",
        ],
        "ja": {
            "insight": "体の声に耳を傾けて、小さな習慣を自分で選べていますね。",
            "question": "この習慣が続いたら、半年後の自分はどう変わっていると思いますか？",
            "next_action": "明日の食事で一つだけ、体が喜ぶ選択を決めておきましょう。",
        },
        "en": {
            "insight": "You are listening to your body and choosing small habits yourself.",
            "question": "If this habit lasts, how do you imagine yourself six months from now?",
            "next_action": "Decide now on one choice your body will thank you for at tomorrow's meals.",
        },
    },
    "friends": {
        "exemplars": [
            "学生時代の友人と久しぶりに飲みに行った。",
            "最近、誰とも話さない日が多くて寂しい。",
            "趣味のサークルで新しい仲間ができた。",
            "イベントで初めて会った人と意気投合した。",
            "コミュニティの勉強会で他のメンバーと話せて楽しかった。",
            "I met new people at the community event.",
        ],
        "ja": {
            "insight": "人とのつながりが、自分のエネルギーに影響していることに気づけています。",
            "question": "その人たちと、これからどんな関わりを育てていきたいですか？",
            "next_action": "今週、気になっている人に一言メッセージを送ってみましょう。",
        },
        "en": {
            "insight": "You noticed how connecting with people affects your energy.",
            "question": "What kind of connection would you like to grow with them?",
            "next_action": "This week, send a short message to someone you have been thinking of.",
        },
    },
}

AFFIRM = {
    "ja": {
        "positive": [
            "「{quote}」と書けたこと、それ自体が前進の記録ですね。",
            "「{quote}」という一日を、しっかり言葉にして残せましたね。",
        ],
        "negative": [
            "「{quote}」と正直に書き留められたのは、大切な一歩です。",
            "「{quote}」という気持ちから目をそらさずに振り返れていますね。",
        ],
        "neutral": [
            "「{quote}」と、今日の出来事を丁寧に振り返れていますね。",
            "「{quote}」という記録から、日々を見つめる姿勢が伝わってきます。",
        ],
    },
    "en": {
        "positive": [
            'Writing "{quote}" is itself a record of progress.',
            'You captured a good day in your own words: "{quote}".',
        ],
        "negative": [
            'Writing down "{quote}" so honestly is an important step.',
            'You faced the feeling in "{quote}" instead of looking away.',
        ],
        "neutral": [
            'You reflected carefully on your day: "{quote}".',
            '"{quote}" shows how you look closely at your days.',
        ],
    },
}

POSITIVE_WORDS = (
    "できた",
    "嬉しい",
    "うれしい",
    "楽しい",
    "楽しかった",
    "よかった",
    "良かった",
    "達成",
    "すっきり",
    "感謝",
    "ありがとう",
    "前進",
    "褒め",
    "happy",
    "glad",
    "great",
    "proud",
    "enjoyed",
    "managed",
    "finally",
)
NEGATIVE_WORDS = (
    "できなかった",
    "できず",
    "悔しい",
    "悔しかった",
    "落ち込",
    "疲れ",
    "つらい",
    "辛い",
    "不安",
    "焦",
    "後悔",
    "寂しい",
    "イライラ",
    "sad",
    "tired",
    "failed",
    "couldn't",
    "could not",
    "anxious",
    "worried",
    "frustrated",
)
