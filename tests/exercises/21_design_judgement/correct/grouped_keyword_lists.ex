defmodule Judgement do
  @moduledoc "The review checklist, grouped by topic, looked up in a keyword list."

  @fit [q1: :other_stack, q2: :beam]
  @supervision [q3: :rest_for_one, q4: :transient, q11: :dead_letter, q12: :let_it_crash]
  @processes [q5: :plain_module, q6: :protected_ets, q7: :call, q8: :supervised_task]
  @retries [q9: :no_retry, q10: :retry_with_backoff]

  def answer(question) do
    case Keyword.fetch(@fit ++ @supervision ++ @processes ++ @retries, question) do
      {:ok, answer} -> answer
      :error -> raise ArgumentError, "no question #{inspect(question)}"
    end
  end
end
