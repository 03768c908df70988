"""The answer side: from a question (and the conversation) to a cited Answer.

question/followup read the question against the conversation; answer drives retrieval, answerability, lists and the
extractive or LLM answer; extractive quotes and cites offline; generation writes with an LLM and keeps only what its
citations support (citations); answerability and list_membership are the fitted judgements; reader is the trained
cross-encoder; acronyms and word_forms are the word-level helpers they share.
"""
