defmodule Judgement do
  @moduledoc "The review checklist, as one map of question => answer."

  @answers %{
    q1: :other_stack,
    q2: :beam,
    q3: :rest_for_one,
    q4: :transient,
    q5: :plain_module,
    q6: :protected_ets,
    q7: :process_state,
    q8: :call,
    q9: :supervised_task,
    q10: :no_retry,
    q11: :retry_with_backoff,
    q12: :dead_letter,
    q13: :let_it_crash
  }

  def answer(question), do: Map.fetch!(@answers, question)
end
