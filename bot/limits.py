"""Slack's limits on what one message or view may hold, in one place, with where each is written.

Past most of these Slack refuses the whole call (``invalid_blocks``, ``msg_blocks_too_long``), so
a status refresh or a focal point's text would fail for good; the renderers stay under them and
say in words what they left out ("and 150 more"), never cut silently.
"""

# Block Kit reference, https://docs.slack.dev/reference/block-kit/blocks: "up to 50 blocks in
# each message, and 100 blocks in modals or Home tabs".
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
# Section block (…/blocks/section-block): "text … Maximum length … is 3000 characters".
SECTION_TEXT = 3000
# Header block (…/blocks/header-block): plain text, "Maximum length … is 150 characters".
HEADER_TEXT = 150
# Context block (…/blocks/context-block): "Maximum number of items is 10"; each text element is
# a text object, whose text is at most 3,000 characters (…/composition-objects/text-object).
CONTEXT_ELEMENTS = 10
TEXT_OBJECT = 3000
# Actions block (…/blocks/actions-block): at most 25 elements; a button's text 75 characters,
# its value 2,000 (…/block-elements/button-element).
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
# block_id and action_id: 255 characters (every block's and element's reference page).
BLOCK_ID = 255
# chat.postMessage (https://docs.slack.dev/reference/methods/chat.postMessage): the top-level
# ``text`` is truncated past 40,000 characters (changelog 2018-04, truncating really long
# messages); it is the notification and the fallback, so ours stays far shorter.
MESSAGE_TEXT = 40_000
# Not documented as a number: Slack answers ``msg_blocks_too_long`` when the blocks' text adds up
# to about 12,000–13,300 characters (slackapi/bolt-js issues #2509 and #2867, where a message of
# 11,341 counted characters was refused too). We keep every message's block text under 10,000.
MESSAGE_BLOCKS_TEXT = 10_000
