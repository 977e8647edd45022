defmodule Judgement do
  @moduledoc "The review checklist, as one map of question => answer."

  @answers %{
    q1: :other_stack,
    q2: :beam,
    q3: :rest_for_one,
    q4: :transient,
    q5: :plain_module,
    q6: :protected_ets,
    q7: :call,
    q8: :supervised_task,
    q9: :no_retry,
    q10: :retry_with_backoff,
    q11: :dead_letter,
    q12: :let_it_crash
  }

  def answer(question), do: Map.fetch!(@answers, question)
end
