"""The case core: the only code that creates, moves, publishes, fails or finishes a case.

Every entry point is a thin edge over it: the watched inbox (inbox.InboxIntake),
`letters process` (named.process_named), review (review.approve/correct/confirm)
and the web console. Modules, in the order a case meets them:

    intake       register a letter as a case (one duplicate rule for all)
    core         claim, archive, decide, record, publish, finish, fail, release
    handling     read → extract → check → reasons (a Processor), typed as Handled
    reasons      every reason a clerk must look, typed (pipeline.domain.reasons)
    replying     a reply staged: 文号 only after the content passed its checks
    publisher    each output claims its final name on disk at publish time
    transitions  state + tracking + audit event, together
    review       approve, correct, confirm; corrections and decisions beside it
"""
