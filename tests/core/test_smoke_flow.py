def test_admin_sees_admin_pages(app, libercourt_admin):
    assert libercourt_admin.get("/libercourt/admin/").status_code == 200
