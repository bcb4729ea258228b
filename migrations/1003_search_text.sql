-- Text search for the search read model (src/projections/search): two configurations that fold case and
-- accents before anything else. `chat_english` stems English words ("running" finds "runs"); `chat_simple`
-- keeps every word as written, lowercased and unaccented, stop words included, so names, unit numbers
-- and words of other languages are found as typed, and its lexemes take prefix queries ("mainten:*").
-- unaccent is a trusted extension (PostgreSQL 13+): a database owner may create it without superuser.
CREATE EXTENSION IF NOT EXISTS unaccent;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'chat_english') THEN
    CREATE TEXT SEARCH CONFIGURATION public.chat_english (COPY = pg_catalog.english);
    ALTER TEXT SEARCH CONFIGURATION public.chat_english
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'chat_simple') THEN
    CREATE TEXT SEARCH CONFIGURATION public.chat_simple (COPY = pg_catalog.simple);
    ALTER TEXT SEARCH CONFIGURATION public.chat_simple
      ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
  END IF;
END
$$;
