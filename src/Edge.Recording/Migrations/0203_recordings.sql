-- What the recording worker says about a call's MP3: the state is 'ready' once the file is durable;
-- the note tells what could not be decoded (a codec other than G.711) or that no audio arrived.
ALTER TABLE calls ADD COLUMN recording_note text;
ALTER TABLE calls ADD COLUMN recording_seconds numeric(10, 2);
