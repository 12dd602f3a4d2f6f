{#-
  CTCAE v5 grade of lab values, driven entirely by the seed ctcae_v5_lab_criteria (one row per comparison).

  `inputs` is a relation/CTE with one row per distinct grading input:
    analyte, value, lln, uln, baseline_value, baseline_above_uln
  Returns those columns plus term and ctcae_grade, for the reported terms of the analyte.

  Three-valued logic, as in the seed's README:
  - a comparison is unknown (null) when its reference (LLN, ULN, baseline) or the baseline condition is null;
  - a clause holds when all its comparisons hold (false if any is false, else null if any is unknown);
  - a grade holds when any of its clauses holds (null if none holds but some is unknown);
  - the grade is the highest grade that holds; if none holds it is 0, or null when some grade was unknown.
  Thresholds and values are rounded to 9 decimals so that e.g. 1.5 x ULN 1.2 equals 1.8 exactly.
  Set-based: callers pass distinct inputs, so a 10 M row lab table grades its distinct tuples only.
-#}
{% macro ctcae_lab_grades(inputs) %}
    thresholds as (
        select
            i.analyte, i.value, i.lln, i.uln, i.baseline_value, i.baseline_above_uln,
            c.term, c.grade, c.clause, c.op, c.baseline_condition,
            c.constant + c.multiplier * (case c.ref
                when 'abs' then 0.0
                when 'lln' then i.lln
                when 'uln' then i.uln
                when 'baseline' then i.baseline_value
            end) as threshold
        from {{ inputs }} as i
        inner join {{ ref('ctcae_v5_lab_criteria') }} as c
            on c.analyte = i.analyte and c.reported
    ),

    comparisons as (
        select
            analyte, value, lln, uln, baseline_value, baseline_above_uln, term, grade, clause,
            (case baseline_condition
                when 'any' then true
                when 'normal' then not baseline_above_uln
                when 'high' then baseline_above_uln
             end)
            and (case op
                when '<' then round(value, 9) < round(threshold, 9)
                when '<=' then round(value, 9) <= round(threshold, 9)
                when '>' then round(value, 9) > round(threshold, 9)
                when '>=' then round(value, 9) >= round(threshold, 9)
             end) as holds
        from thresholds
    ),

    clauses as (
        select
            analyte, value, lln, uln, baseline_value, baseline_above_uln, term, grade, clause,
            case when bool_or(not holds) then false when bool_or(holds is null) then null else true end
                as clause_holds
        from comparisons
        group by all
    ),

    grades as (
        select
            analyte, value, lln, uln, baseline_value, baseline_above_uln, term, grade,
            case when bool_or(clause_holds) then true when bool_or(clause_holds is null) then null else false end
                as grade_holds
        from clauses
        group by all
    ),

    graded as (
        select
            analyte, value, lln, uln, baseline_value, baseline_above_uln, term,
            coalesce(
                max(grade) filter (where grade_holds),
                case when bool_or(grade_holds is null) then null else 0 end
            ) as ctcae_grade
        from grades
        group by all
    )
{% endmacro %}
