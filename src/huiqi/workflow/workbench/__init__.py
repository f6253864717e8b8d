"""The policy workbench: a district's officers draft a new document (or the next version of one)
from its text, edit and test it, propose it; a second officer of the district reviews the diff and
publishes it (four eyes). Published versions are loaded alongside the files under policies/."""
