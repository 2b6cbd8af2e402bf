-- A second migration so ordering and "re-open applies nothing" cover more than one file.
CREATE TABLE widget_notes (
  widget_id integer NOT NULL REFERENCES widgets (id),
  note      text    NOT NULL
);
