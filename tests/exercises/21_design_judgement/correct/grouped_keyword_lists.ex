defmodule Judgement do
  @moduledoc "The review checklist, grouped by topic, looked up in a keyword list."

  @fit [q1: :other_stack, q2: :beam]
  @supervision [q3: :rest_for_one, q4: :transient, q12: :dead_letter, q13: :let_it_crash]
  @processes [q5: :plain_module, q6: :protected_ets, q7: :process_state, q8: :call, q9: :supervised_task]
  @retries [q10: :no_retry, q11: :retry_with_backoff]

  def answer(question) do
    case Keyword.fetch(@fit ++ @supervision ++ @processes ++ @retries, question) do
      {:ok, answer} -> answer
      :error -> raise ArgumentError, "no question #{inspect(question)}"
    end
  end
end
